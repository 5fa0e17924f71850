/* main.c: peerwatch-proxy, the Watcher Presence Proxy of an operator (the role itself: proxy.c, locate.c, forward.c). */
#include "proxy.h"

int main(int argc, char **argv)
{
    return pw_runtime_main(&pw_proxy_role, argc, argv);
}
