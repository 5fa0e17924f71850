/* main.c: peerwatch-watcher, the Watcher Application: users' presence enquiries by phone number (DESIGN.md §1, §3). */
#include "watcher.h"

int main(int argc, char **argv)
{
    return pw_runtime_main(&pw_watcher_role, argc, argv);
}
