/* hss_int.h: what the HSS's files share: its running state and the flow's registration. */
#ifndef HSS_INT_H
#define HSS_INT_H

/*
 * The files in layers (a file calls only those below it):
 *   settings.c         the option table and the role (calls lifecycle.c)
 *   lifecycle.c        create, SIGHUP reload in the background, destroy
 *   flow.c             a lookup's path: arrives, sender checked, subscriber found, answered;
 *                      the components told when the records change
 *   subscriber_db.c    the subscriber file, its indexes and lookups
 */

#include "hss.h"
#include "subscriber_db.h"

/** The HSS's running state (hss.h keeps it opaque). */
struct hss {
    pw_component_t *component;
    hss_settings_t *settings;
    hss_db_t *db;
    hss_db_reload_t *reload; /* a background load in progress, or NULL */
    int reload_again;        /* another SIGHUP arrived during the load */
};

/**
 * Register the <lookup/> handler (urn:peerwatch:hss:0) and its disco feature on the HSS's
 * component.
 * @param hss the HSS (its component and settings set)
 * @return PW_OK or PW_ENOMEM
 */
pw_status_t hss_flow_attach(hss_t *hss);

/**
 * Tell the components of a list that the records changed (<changed/>, docs/hss.md, "Changes told"), so
 * that they drop the answers they keep. User JIDs on the list are skipped. A component that
 * is away is not told; it drops what it keeps when it reconnects.
 * @param hss the HSS
 * @param components the [hss] allow list (or the part of an old one a reload dropped)
 */
void hss_flow_tell_changed(hss_t *hss, const pw_config_list_t *components);

#endif /* HSS_INT_H */
