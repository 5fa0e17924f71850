/* main.c: peerwatch-presence, the operator's Presence Server (TS 23.141 A.1 steps 7-10): the role run by the shared runtime. */
#include "presence.h"
#include "xmpp/pw_runtime.h"

int main(int argc, char **argv)
{
    return pw_runtime_main(&pw_presence_role, argc, argv);
}
