/* main.c: peerwatch-hss, the operator's subscriber data (HSS) answering lookups by MSISDN or JID
 * from the operator's own components (the role: hss.h, settings.c, flow.c; protocol: docs/hss.md). */
#include "hss.h"

int main(int argc, char **argv)
{
    return pw_runtime_main(&pw_hss_role, argc, argv);
}
