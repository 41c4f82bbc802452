#include <stddef.h>

/// Bytes handed out by malloc and not yet freed (glibc mallinfo2().uordblks), after
/// malloc_trim; 0 where glibc is not available.
size_t CMallocInfo_inUse(void);
