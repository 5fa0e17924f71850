/* main.c: peerwatch-gateway, the Gateway Presence Server of an operator (its path: flow.c; its settings: settings.c). */
#include "gateway.h"

int main(int argc, char **argv)
{
    return pw_runtime_main(&pw_gateway_role, argc, argv);
}
