-- operator.cfg.lua: Prosody 0.12 config template for one operator's private XMPP server (tests and trial).
--
-- The test harness (tests/support/prosody.c) and the trial script render this file,
-- replacing every placeholder (a name between two at-signs):
--   @DOMAIN@          the operator's XMPP domain, e.g. opa.example
--   @IP@              the address of the c2s and s2s listeners: the operator's loopback address,
--                     e.g. 127.0.0.2, or its address on its own network (pw-trial --netns)
--   @COMPONENT_IP@    the address of the component listener: the same loopback address, or
--                     one on the loopback of the operator's own network namespace, which no
--                     other network can reach
--   @C2S_PORT@        client-to-server port (RFC 6120)
--   @S2S_PORT@        server-to-server port (federation with the other operator)
--   @COMPONENT_PORT@  XEP-0114 external component port (the Peerwatch roles connect here)
--   @DATA_DIR@        directory for accounts and rosters (internal storage)
--   @PID_FILE@        pid file written by mod_posix
--   @LOG_FILE@        log file
--   @LOG_LEVEL@       lowest log level written: "info", or "debug" when PWT_PROSODY_DEBUG is set
--   @DNS_SERVER@      DNS server libunbound forwards to, "IP@PORT" (the trial's dnsmasq)
--   @SECRET@          the shared secret of every component (XEP-0114 handshake)
--   @WITH_PS2@        true when the second Presence Server (ps2) runs, else false
--   @WITH_BENCH@      true while tests/bench/bench_chain runs, else false
--   @WITH_ROGUE@      true in a trial with a third operator (test_hostile_senders), else false
--   @TLS@             true when the server has certificates from the trial's private CA, else false
--   @TLS_MODULE@      with TLS, "tls" (an item of modules_enabled), else nothing
--   @TLS_CERT@        with TLS, the certificate (the domain and its component domains), else nil
--   @TLS_KEY@         with TLS, its private key, else nil
--   @TLS_CA@          with TLS, the CA certificate s2s peers must chain to, else nil
-- Rendering fails if a placeholder is left unknown, so a typo never reaches Prosody.
--
-- Start it in the foreground so the starter owns its PID (never use `prosody --version`:
-- in 0.12 that starts a server):
--   prosody -F --config /path/to/rendered.cfg.lua
-- The old `daemonize` option is deprecated in 0.12 (it logs a warning); -F replaces it.
--
-- Without TLS (@TLS@ false) everything is plain text on loopback: no certificates. Never
-- expose it. With TLS, clients must use STARTTLS, and s2s is TLS with certificates verified
-- against the trial's CA, without dialback fallback.

---------- Process ----------

-- The tests run as root in containers; without this Prosody tries to switch to the
-- 'prosody' user and cannot read the temporary files.
run_as_root = true

-- Everything this instance writes lives under its own directory, so several instances
-- (one per operator, several test runs) never share state.
data_path = "@DATA_DIR@"
pidfile = "@PID_FILE@"

-- There are no certificates; pointing the certificate directory at our own directory keeps
-- Prosody from complaining about a missing "certs" directory next to this file.
certificates = "@DATA_DIR@"

-- One line per event in a file of our own; the starter keeps its path to print the tail
-- when a test fails.
log = {
	{ levels = { min = "@LOG_LEVEL@" }, to = "file", filename = "@LOG_FILE@" };
}

-- No module from /usr/local; Debian's prosody-modules installs mod_privilege into the
-- default module directory already.
plugin_paths = {}

---------- Network ----------

-- Listen only on this operator's address: on one machine each operator has its own
-- 127.0.0.x, so both servers can use any ports without colliding.
interfaces = { "@IP@" }
c2s_ports = { @C2S_PORT@ }
s2s_ports = { @S2S_PORT@ }

-- The components' port: only the operator's own components may reach it, never a peer.
component_interfaces = { "@COMPONENT_IP@" }
component_ports = { @COMPONENT_PORT@ }

-- Send every stanza at once: small stanzas and latency figures matter here.
network_settings = {
	nagle = false;
}

-- Lua's garbage collector, at the pace Lua itself defaults to. Prosody 0.12 starts a new
-- collection cycle as soon as memory grows by 5 % (threshold 105, speed 500): right for a
-- small server, but with a stanza stream of component traffic it spends half of Prosody's
-- CPU time collecting. With threshold 200 (a cycle when memory has doubled) the same
-- enquiries cost Prosody about 40 % less CPU and the chain's throughput rises about 1.6x
-- (tests/bench/bench_chain; README, Benchmarks). Memory: at most about twice the live heap,
-- a few tens of MB here.
gc = {
	mode = "incremental";
	threshold = 200;
	speed = 250;
}

-- DNS through libunbound (Debian lua-unbound): ignore /etc/resolv.conf and /etc/hosts and
-- ask only the trial's dnsmasq, which serves the _xmpp-server._tcp SRV records of both
-- operators and of all their components.
unbound = {
	resolvconf = false;
	hoststxt = false;
	forward = "@DNS_SERVER@";
}

---------- Security ----------

-- Without TLS no certificates exist: clients and servers talk plain text, servers
-- authenticate each other with dialback (XEP-0220) over DNS we control (all nil below).
-- With TLS one certificate serves the domain and every component domain (s2s from
-- watcher.@DOMAIN@ and its siblings presents it too), and a peer's certificate must chain
-- to the trial's CA and name the peer's domain (s2s_secure_auth): a peer that cannot prove
-- its name is refused, dialback or not.
ssl = {
	certificate = @TLS_CERT@;
	key = @TLS_KEY@;
	cafile = @TLS_CA@;
}
c2s_require_encryption = @TLS@
s2s_require_encryption = @TLS@
s2s_secure_auth = @TLS@
allow_unencrypted_plain_auth = not @TLS@

-- Passwords stored as given, so the harness can create accounts by writing
-- accounts/<user>.dat directly before the server starts.
authentication = "internal_plain"
storage = "internal"

-- Nobody registers accounts over XMPP: the harness and the trial create them.
allow_registration = false

---------- Modules ----------

-- What a plain server needs (mod_c2s, mod_s2s, mod_presence, mod_message, mod_iq and
-- mod_posix are loaded automatically). mod_dialback is inherited by the components too,
-- so remote servers can verify s2s traffic from watcher.@DOMAIN@ and its siblings.
modules_enabled = {
	"roster";    -- RFC 6121 rosters
	"saslauth";  -- SASL authentication
	"disco";     -- XEP-0030 service discovery
	"ping";      -- XEP-0199 ping
	"version";   -- XEP-0092 software version
	"uptime";    -- XEP-0012 last activity of the server
	"dialback";  -- XEP-0220 server dialback (s2s without certificates)
	@TLS_MODULE@
}

---------- The operator's domain ----------

VirtualHost "@DOMAIN@"
	-- XEP-0356 (Privileged Entity), Debian prosody-modules, namespace urn:xmpp:privilege:2.
	-- The Presence Servers read their users' rosters and receive the presence of every
	-- user of this host (presence "managed_entity"). Roster "both" adds set: once a user
	-- approved a watcher, the PS that asked her names the new item "+447700900001
	-- (alice@opa.example)", unless she named it herself. With roster = "get" everything
	-- works the same except that the item keeps no name (as on ejabberd 23.01).
	modules_enabled = { "privilege" }
	privileged_entities = {
		["ps1.@DOMAIN@"] = { roster = "both"; presence = "managed_entity" };
		["ps2.@DOMAIN@"] = { roster = "both"; presence = "managed_entity" };
	}

---------- The Peerwatch components (XEP-0114) ----------

-- Watcher Application: the users' entry point, addresses like +12025550123@watcher.@DOMAIN@.
Component "watcher.@DOMAIN@"
	component_secret = "@SECRET@"

-- Watcher Presence Proxy: finds the other operator (ENUM, SRV) and sends enquiries there.
Component "proxy.@DOMAIN@"
	component_secret = "@SECRET@"

-- Gateway Presence Server: the only entity other operators talk to.
Component "gateway.@DOMAIN@"
	component_secret = "@SECRET@"

-- HSS: subscriber data (MSISDN to JID and Presence Server).
Component "hss.@DOMAIN@"
	component_secret = "@SECRET@"

-- Presence Servers. mod_privilege must be loaded on the component host too: its
-- 'component-authenticated' hook is what tells the VirtualHost above that the privileged
-- entity has connected, so it advertises the permissions (<message><privilege/></message>).
Component "ps1.@DOMAIN@"
	component_secret = "@SECRET@"
	modules_enabled = { "privilege" }

-- A second Presence Server, for the users the HSS assigns to it. Declare only the
-- components you run: Prosody lists every declared one in the domain's disco#items, so a
-- client browsing the server would find a service that does not answer (the trial runs ps2
-- for operator B only: enabled is true there).
Component "ps2.@DOMAIN@"
	enabled = @WITH_PS2@
	component_secret = "@SECRET@"
	modules_enabled = { "privilege" }

-- Three plain components for tests/bench/bench_chain: the benchmark's echo relays, which
-- measure the raw routing rate of this server for the same hops as the enquiry chain.
-- Enabled only while the benchmark runs. An operator's own server has no use for them.
Component "bench1.@DOMAIN@"
	enabled = @WITH_BENCH@
	component_secret = "@SECRET@"
Component "bench2.@DOMAIN@"
	enabled = @WITH_BENCH@
	component_secret = "@SECRET@"
Component "bench3.@DOMAIN@"
	enabled = @WITH_BENCH@
	component_secret = "@SECRET@"

-- A plain component that is no Peerwatch role, for tests/integration/test_hostile_senders: a
-- component of this operator (or, seen from the other operator, of a peer) that is not the
-- gateway, the proxy or any other role, sending what only a role may send. Enabled only in a
-- trial with a third operator (pwt_trial_opts_t.third_operator).
Component "rogue.@DOMAIN@"
	enabled = @WITH_ROGUE@
	component_secret = "@SECRET@"
