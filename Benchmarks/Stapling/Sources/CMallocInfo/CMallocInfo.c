#include "CMallocInfo.h"
#if defined(__linux__)
#include <malloc.h>
#endif

size_t CMallocInfo_inUse(void) {
#if defined(__GLIBC__)
    malloc_trim(0);
    return mallinfo2().uordblks;
#else
    return 0;
#endif
}
