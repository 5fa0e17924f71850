/* fake_clock.c: the manual clock of unit tests and fuzz targets (see fake_clock.h). */
#include "fake_clock.h"

uint64_t pwfake_clock_now(void *now)
{
    return *(const uint64_t *)now;
}
