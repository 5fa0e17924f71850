/* fake_clock.h: the manual clock of unit tests and fuzz targets: a pw_loop clock that reads a counter the test moves. */
#ifndef PWFAKE_CLOCK_H
#define PWFAKE_CLOCK_H

#include <stdint.h>

/**
 * A pw_clock_fn for pw_loop_set_clock(): the time is whatever the counter says.
 * @param now a uint64_t * (ms): the counter the test moves, which outlives the loop
 * @return *now
 */
uint64_t pwfake_clock_now(void *now);

#endif /* PWFAKE_CLOCK_H */
