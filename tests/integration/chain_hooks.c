/* chain_hooks.c: the Criterion runner hooks that bring one trial up before a chain test binary's first test and down after its last. */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <criterion/options.h>

#include "pwt_trialenv.h"

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
    (void)set;
    /* the tests share the trial's users and servers: one at a time */
    criterion_options.jobs = 1;
    pwt_trialenv_up();
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
    (void)stats;
    pwt_trialenv_down();
}
