/* ProcessPrng for wine 8, which lacks it: the Rust standard library for windows-gnu asks
   bcryptprimitives.dll for it. Built by .ci/run into the wine prefix's system32, only when the
   prefix lacks it. RtlGenRandom is advapi32's SystemFunction036. */
#include <windows.h>
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk)) return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
