/* test_presence_charging.c: one charge record per enquiry, durable before the answer (group commit), idempotent refs, refusal on I/O errors. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "presence_driver.h"

/* The Presence Server under test (Criterion's .fini takes no argument: one per file). */
static pwfake_presence_t pd;

static void stop_driver(void)
{
    pwfake_presence_stop(&pd);
}

TestSuite(presence_charging, .fini = stop_driver);

static pwfake_presence_records_t recs; /* large: kept off the stack */

/* An enquiry with this ref, answered from a roster with items, through the commit. */
static xmpp_stanza_t *enquire(const char *id, const char *ref, const char *items)
{
    pwfake_presence_enquiry(&pd, id, ref, "current");
    pwfake_presence_roster(&pd, items);
    pwfake_presence_run(&pd, 0);
    cr_assert_not_null(pwfake_presence_answer(&pd, id), "answer to %s", id);
    return pwfake_presence_answer(&pd, id);
}

/* Size of the open charge-record file. */
static off_t open_file_size(void)
{
    DIR *d = opendir(pd.cdr);
    struct dirent *de;
    off_t size = -1;
    cr_assert_not_null(d);
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len > 5 && strcmp(de->d_name + len - 5, ".open") == 0) {
            char path[512];
            struct stat st;
            snprintf(path, sizeof path, "%s/%s", pd.cdr, de->d_name);
            cr_assert_eq(stat(path, &st), 0);
            size = st.st_size;
        }
    }
    closedir(d);
    cr_assert(size > 0, "an open file exists");
    return size;
}

#define BOTH "<item jid='alice@opa.example' subscription='both'/>"

Test(presence_charging, one_record_per_enquiry_denials_included)
{
    pwfake_presence_start(&pd, NULL);
    pwfake_presence_grant(&pd, "opb.example", 2);
    pwfake_presence_deliver(&pd, "<presence from='bob@opb.example/phone' to='" PWFAKE_PRESENCE_JID "'><show>away</show></presence>");
    cr_assert_str_eq(xmpp_stanza_get_type(enquire("c1", "watcher.opa.example/c1", BOTH)), "result");
    cr_assert_str_eq(xmpp_stanza_get_type(enquire("c2", "watcher.opa.example/c2", "")), "error");
    cr_assert_str_eq(xmpp_stanza_get_type(
        enquire("c3", "watcher.opa.example/c3", "<item jid='alice@opa.example' subscription='to'/>")), "error");
    pwfake_presence_enquiry(&pd, "c4", "watcher.opa.example/c4", "current");
    pwfake_presence_run(&pd, 6000); /* roster timeout */
    pwfake_presence_run(&pd, 0);
    cr_assert_not_null(pwfake_presence_answer(&pd, "c4"));

    pwfake_presence_read_records(&pd, &recs);
    cr_assert_eq(recs.n, 4);
    cr_assert_str_eq(recs.outcome[0], "ok");
    cr_assert_str_eq(recs.outcome[1], "subscription-required");
    cr_assert_str_eq(recs.outcome[2], "forbidden");
    cr_assert_str_eq(recs.outcome[3], "remote-server-timeout");
    cr_assert_str_eq(recs.ref[0], "watcher.opa.example/c1");
    cr_assert_str_eq(recs.ref[3], "watcher.opa.example/c4");
    cr_assert_eq(recs.last.kind, PW_CDR_KIND_CURRENT);
    cr_assert_str_eq(recs.last.node, PWFAKE_PRESENCE_JID, "node defaults to the component JID");
    cr_assert_str_eq(recs.last.charged_network, "opa.example");
    cr_assert_str_eq(recs.last.serving_network, "opb.example");
    cr_assert_str_eq(recs.last.peer, "opa.example");
    cr_assert_str_eq(recs.last.watcher_msisdn, "+447700900001");
    cr_assert_str_eq(recs.last.watcher_jid, "alice@opa.example");
    cr_assert_str_eq(recs.last.presentity_msisdn, "+12025550123");
    cr_assert_str_eq(recs.last.presentity_jid, "bob@opb.example");
    cr_assert_eq(recs.last.seq, 4);
    pwfake_presence_stop(&pd);
}

Test(presence_charging, the_answer_leaves_only_after_the_commit_hook)
{
    pwfake_presence_start(&pd, "[charging]\nnode = ps1-opb\nrotate_size = 1M\nrotate_age = 2h");
    pwfake_presence_enquiry(&pd, "w1", "watcher.opa.example/w1", "current");
    pwfake_presence_enquiry(&pd, "w2", "watcher.opa.example/w2", "current");
    {
        /* answer both roster reads in the same iteration: one group commit */
        size_t n = 0;
        for (size_t i = 0; i < pwfake_transport_sent_count(pd.fake); i++) {
            xmpp_stanza_t *get = pwfake_transport_sent(pd.fake, i);
            if (!xmpp_stanza_get_child_by_ns(get, "jabber:iq:roster"))
                continue;
            pwfake_presence_deliver(&pd, "<iq type='result' id='%s' from='bob@opb.example' to='" PWFAKE_PRESENCE_JID "'>"
                       "<query xmlns='jabber:iq:roster'>" BOTH "</query></iq>", xmpp_stanza_get_id(get));
            n++;
        }
        cr_assert_eq(n, 2);
    }
    cr_assert_null(pwfake_presence_answer(&pd, "w1"), "no answer before the commit");
    cr_assert_null(pwfake_presence_answer(&pd, "w2"));
    pwfake_presence_read_records(&pd, &recs);
    cr_assert_eq(recs.n, 0, "nothing on disk yet");
    pwfake_presence_run(&pd, 0);
    cr_assert_not_null(pwfake_presence_answer(&pd, "w1"));
    cr_assert_not_null(pwfake_presence_answer(&pd, "w2"));
    pwfake_presence_read_records(&pd, &recs);
    cr_assert_eq(recs.n, 2);
    cr_assert_str_eq(recs.last.node, "ps1-opb");
    cr_assert_eq(pw_presence_in_progress(pd.ps), 0);
    pwfake_presence_stop(&pd);
}

Test(presence_charging, a_retried_ref_is_answered_again_without_a_second_record)
{
    pw_presence_state_t st;
    pwfake_presence_start(&pd, NULL);
    cr_assert_str_eq(xmpp_stanza_get_type(enquire("r1", "watcher.opa.example/same", BOTH)), "result");
    cr_assert_str_eq(xmpp_stanza_get_type(enquire("r2", "watcher.opa.example/same", BOTH)), "result");
    pwfake_presence_state(&pd, "r2", &st);
    cr_assert_eq(st.available, 0);
    /* a retry while the first is still on its way: both answered, one record */
    pwfake_presence_enquiry(&pd, "r3", "watcher.opa.example/twice", "current");
    pwfake_presence_enquiry(&pd, "r4", "watcher.opa.example/twice", "current");
    for (size_t i = 0; i < pwfake_transport_sent_count(pd.fake); i++) {
        xmpp_stanza_t *get = pwfake_transport_sent(pd.fake, i);
        if (xmpp_stanza_get_child_by_ns(get, "jabber:iq:roster") && !pwfake_presence_answer(&pd, xmpp_stanza_get_id(get)))
            pwfake_presence_deliver(&pd, "<iq type='result' id='%s' from='bob@opb.example' to='" PWFAKE_PRESENCE_JID "'>"
                       "<query xmlns='jabber:iq:roster'/></iq>", xmpp_stanza_get_id(get));
    }
    pwfake_presence_run(&pd, 0);
    cr_assert_not_null(pwfake_presence_answer(&pd, "r3"));
    cr_assert_not_null(pwfake_presence_answer(&pd, "r4"));
    pwfake_presence_read_records(&pd, &recs);
    cr_assert_eq(recs.n, 2, "one record per ref");
    /* the same ref from another watcher network is another enquiry */
    pwfake_presence_deliver(&pd, "<iq type='set' id='r5' from='" PWFAKE_PRESENCE_GATEWAY "' to='" PWFAKE_PRESENCE_BOB_JID "'>"
               "<enquiry xmlns='urn:peerwatch:chain:1' ref='watcher.opa.example/same' kind='current' "
               "presentity-jid='bob@opb.example' watcher-msisdn='+33612345678' watcher-jid='eve@opc.example' "
               "watcher-network='opc.example'/></iq>");
    pwfake_presence_roster(&pd, "");
    pwfake_presence_run(&pd, 0);
    cr_assert_not_null(pwfake_presence_answer(&pd, "r5"));
    pwfake_presence_read_records(&pd, &recs);
    cr_assert_eq(recs.n, 3);
    cr_assert_str_eq(recs.last.charged_network, "opc.example");
    cr_assert_str_eq(recs.last.presentity_msisdn, "");
    pwfake_presence_stop(&pd);
}

Test(presence_charging, a_failing_disk_refuses_enquiries_until_it_works_again)
{
    struct rlimit rl, old;
    char text[256];
    xmpp_stanza_t *a;
    pwfake_presence_start(&pd, NULL);
    cr_assert_str_eq(xmpp_stanza_get_type(enquire("d1", "watcher.opa.example/d1", BOTH)), "result");
    /* a file size limit makes the next write fail (EFBIG), like a full disk */
    signal(SIGXFSZ, SIG_IGN);
    cr_assert_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    rl = old;
    rl.rlim_cur = (rlim_t)open_file_size() + 10;
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);

    a = enquire("d2", "watcher.opa.example/d2", BOTH);
    cr_assert_eq(pwfake_presence_error(&pd, "d2", text, sizeof text), PW_ERR_INTERNAL_SERVER_ERROR);
    cr_assert_str_eq(text, "charging is unavailable; try again later");
    cr_assert_str_eq(xmpp_stanza_get_attribute(xmpp_stanza_get_child_by_name(a, "error"), "type"), "wait");
    cr_assert_eq(pw_presence_in_progress(pd.ps), 0);
    /* still refused, also for kinds answered without a roster read, and denials */
    pwfake_presence_run(&pd, 2000);
    enquire("d3", "watcher.opa.example/d3", "");
    cr_assert_eq(pwfake_presence_error(&pd, "d3", text, sizeof text), PW_ERR_INTERNAL_SERVER_ERROR);
    enquire("d4", "watcher.opa.example/d4", BOTH);
    cr_assert_eq(pwfake_presence_error(&pd, "d4", text, sizeof text), PW_ERR_INTERNAL_SERVER_ERROR);

    /* the disk works again: the next probe succeeds and enquiries are served */
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
    pwfake_presence_run(&pd, 2000);
    cr_assert_str_eq(xmpp_stanza_get_type(enquire("d5", "watcher.opa.example/d5", BOTH)), "result");
    pwfake_presence_read_records(&pd, &recs);
    cr_assert_eq(recs.n, 2, "the refused enquiries left no record");
    cr_assert_str_eq(recs.ref[1], "watcher.opa.example/d5");
    cr_assert_eq(recs.last.seq, 2, "no gap in the sequence");
    /* d2 was refused for want of a record: its retry is charged now */
    cr_assert_str_eq(xmpp_stanza_get_type(enquire("d6", "watcher.opa.example/d2", BOTH)), "result");
    pwfake_presence_read_records(&pd, &recs);
    cr_assert_eq(recs.n, 3);
    pwfake_presence_stop(&pd);
}

Test(presence_charging, an_unusable_charging_directory_stops_the_start)
{
    pw_presence_t *ps = NULL;
    char blocker[128];
    FILE *f;
    pwfake_presence_start(&pd, NULL);
    /* a second server on another directory whose path is taken by a plain file */
    snprintf(blocker, sizeof blocker, "%s/file", pd.dir);
    f = fopen(blocker, "w");
    cr_assert_not_null(f);
    fclose(f);
    free(pd.settings.cdr_dir);
    pd.settings.cdr_dir = strdup(blocker);
    cr_assert_neq(pw_presence_create(&ps, pd.comp, &pd.settings), PW_OK);
    cr_assert_null(ps);
    pwfake_presence_stop(&pd);
}
