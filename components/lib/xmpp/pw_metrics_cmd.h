/* pw_metrics_cmd.h: the XEP-0050 admin command "Peerwatch metrics" (node urn:peerwatch:metrics). */
#ifndef PW_METRICS_CMD_H
#define PW_METRICS_CMD_H

#include <stddef.h>

#include "core/pw_metrics.h"
#include "core/pw_status.h"
#include "xmpp/pw_component.h"

/** The command's node and name (docs/metrics.md). */
#define PW_METRICS_CMD_NODE "urn:peerwatch:metrics"
#define PW_METRICS_CMD_NAME "Peerwatch metrics"

/**
 * The command, offered on a component: an admin (a bare JID of the list) executing it gets it
 * completed at once with an XEP-0004 result form, one field per figure of pw_metrics_each()
 * (var NAME{LABELS}, label the help, value the figure); anyone else gets forbidden. Opaque.
 */
typedef struct pw_metrics_cmd pw_metrics_cmd_t;

/**
 * Offer the command on a component (pw_component_add_command()).
 * @param out receives the command (pw_metrics_cmd_destroy(), after the component is destroyed
 *        or no longer delivers stanzas)
 * @param c the component (borrowed)
 * @param metrics the registry shown (borrowed; must outlive the command)
 * @param admins bare JIDs allowed to run it (copied; compared case-insensitively with the
 *        requester's bare JID); none: nobody may
 * @param nadmins how many
 * @return PW_OK; PW_EEXIST (the role answers XEP-0050 itself); PW_EINVAL; PW_ENOMEM
 */
pw_status_t pw_metrics_cmd_create(pw_metrics_cmd_t **out, pw_component_t *c, pw_metrics_t *metrics,
                                  char *const *admins, size_t nadmins);

/** Free the command (NULL-safe). @param cmd the command */
void pw_metrics_cmd_destroy(pw_metrics_cmd_t *cmd);

#endif /* PW_METRICS_CMD_H */
