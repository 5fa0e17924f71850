/* main.c: peerwatch-proxy, the Watcher Presence Proxy of an operator (TS 23.141 A.1 steps 3-5 and 10; the role: flow.c). */
#include "proxy.h"

int main(int argc, char **argv)
{
    return pw_runtime_main(&pw_proxy_role, argc, argv);
}
