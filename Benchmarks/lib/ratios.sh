# Sourced by the benchmarks that measure servers in interleaved rounds (TLSHandshake,
# KeptAliveHTTPS): medians, and ratios both of the medians and per round. The caller sets
# `rounds` and fills the associative arrays `by_round[NAME,ROUND]` (one sample) and
# `med[NAME]` (the median of NAME's samples).

# median: the median of the numbers on standard input (blank-separated or one per line).
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# ratio A B: A / B to three decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

# paired A B: the median of the per-round ratios A/B. Both servers of a pair are measured
# close together in each round, so a change in the machine's load between rounds cancels out.
paired() {
  local values="" round
  for round in $(seq 1 "$rounds"); do values="$values $(ratio "${by_round[$1,$round]}" "${by_round[$2,$round]}")"; done
  echo "$values" | median | awk '{ printf "%.3f", $1 }'
}

# row LABEL A B TARGET: one Markdown row of ratios, when both servers were measured.
row() {
  [ -n "${med[$2]:-}" ] && [ -n "${med[$3]:-}" ] || return 0
  echo "| $1 | $(ratio "${med[$2]}" "${med[$3]}") | $(paired "$2" "$3") | $4 |"
}
