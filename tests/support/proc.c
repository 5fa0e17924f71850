/* proc.c: integration-harness child processes: start in their own group, log to a file, stop by PID. */
#include "pwt_proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/pw_log.h"
#include "pwt_util.h"

#define NAME_MAX_LEN 64u

struct pwt_proc {
    char name[NAME_MAX_LEN + 1];
    pid_t pid;
    int reaped;  /* 1 once waitpid() returned it (or it cannot be waited for) */
    int status;  /* wait status once reaped */
};

/* In the child, between fork and exec: only async-signal-safe calls. Never returns. */
static void child_exec(char *const argv[], char *const envp[], int log_fd, int err_fd,
                       pid_t parent)
{
    sigset_t none;
    int null_fd;
    int err;

    setpgid(0, 0);
    /* Die with the harness: a crashed test must not leave servers behind. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP)
            signal(sig, SIG_DFL);
    }
    null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0 && null_fd != STDIN_FILENO) {
        dup2(null_fd, STDIN_FILENO);
        close(null_fd);
    }
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    if (log_fd > STDERR_FILENO)
        close(log_fd);
    if (envp)
        execvpe(argv[0], argv, envp);
    else
        execvp(argv[0], argv);
    err = errno;
    if (write(err_fd, &err, sizeof err) < 0) {
        /* nothing more to do */
    }
    _exit(127);
}

pw_status_t pwt_proc_start(pwt_proc_t **out, const char *name, char *const argv[],
                           char *const envp[], const char *log_path)
{
    pw_status_t st = PW_EINVAL;
    pwt_proc_t *p = NULL;
    int log_fd = -1;
    int pipe_fd[2] = { -1, -1 };
    pid_t parent = getpid();
    pid_t pid;
    int child_errno = 0;
    ssize_t n;

    if (!out || !name || !argv || !argv[0] || !log_path)
        goto done;
    *out = NULL;
    st = PW_EIO;
    log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) {
        pw_error(NULL, "pwt: %s: cannot open log %s: %s", name, log_path, strerror(errno));
        goto done;
    }
    if (pipe2(pipe_fd, O_CLOEXEC) != 0) {
        pw_error(NULL, "pwt: %s: pipe: %s", name, strerror(errno));
        goto done;
    }
    fflush(NULL);
    /* Nothing is allocated before the fork: a child whose exec fails leaks nothing. */
    pid = fork();
    if (pid < 0) {
        pw_error(NULL, "pwt: %s: fork: %s", name, strerror(errno));
        goto done;
    }
    if (pid == 0) {
        close(pipe_fd[0]);
        child_exec(argv, envp, log_fd, pipe_fd[1], parent);
    }
    setpgid(pid, pid); /* also done in the child; whoever runs first wins the race */
    close(pipe_fd[1]);
    pipe_fd[1] = -1;
    p = calloc(1, sizeof *p);
    if (!p) {
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
        }
        st = PW_ENOMEM;
        goto done;
    }
    snprintf(p->name, sizeof p->name, "%s", name);
    p->pid = pid;
    /* The pipe closes on exec (success) or carries errno (failure). */
    do {
        n = read(pipe_fd[0], &child_errno, sizeof child_errno);
    } while (n < 0 && errno == EINTR);
    if (n == (ssize_t)sizeof child_errno) {
        pw_error(NULL, "pwt: %s: cannot execute %s: %s", p->name, argv[0], strerror(child_errno));
        pwt_proc_stop(p, 1000);
        goto done;
    }
    *out = p;
    p = NULL;
    st = PW_OK;
done:
    if (log_fd >= 0)
        close(log_fd);
    if (pipe_fd[0] >= 0)
        close(pipe_fd[0]);
    if (pipe_fd[1] >= 0)
        close(pipe_fd[1]);
    free(p);
    return st;
}

int pwt_proc_pid(const pwt_proc_t *p)
{
    return p ? (int)p->pid : -1;
}

const char *pwt_proc_name(const pwt_proc_t *p)
{
    return p ? p->name : "";
}

/* Reap the child if it exited; block if hang. Returns 1 once reaped. */
static int try_reap(pwt_proc_t *p, int hang)
{
    pid_t r;
    int status = 0;

    if (p->reaped)
        return 1;
    do {
        r = waitpid(p->pid, &status, hang ? 0 : WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == p->pid) {
        p->reaped = 1;
        p->status = status;
    } else if (r < 0) {
        /* ECHILD: someone else reaped it (SIGCHLD ignored): it is gone all the same. */
        p->reaped = 1;
        p->status = -1;
    }
    return p->reaped;
}

pw_status_t pwt_proc_signal(pwt_proc_t *p, int sig)
{
    if (!p)
        return PW_EINVAL;
    if (try_reap(p, 0))
        return PW_ECLOSED;
    return kill(p->pid, sig) == 0 ? PW_OK : PW_ECLOSED;
}

int pwt_proc_alive(pwt_proc_t *p)
{
    return p && !try_reap(p, 0);
}

pw_status_t pwt_proc_wait(pwt_proc_t *p, unsigned timeout_ms, int *status)
{
    uint64_t deadline;
    if (!p)
        return PW_EINVAL;
    deadline = pwt_now_ms() + timeout_ms;
    while (!try_reap(p, 0)) {
        if (pwt_now_ms() >= deadline)
            return PW_ETIMEOUT;
        pwt_sleep_ms(5);
    }
    if (status)
        *status = p->status;
    return PW_OK;
}

int pwt_proc_stop(pwt_proc_t *p, unsigned timeout_ms)
{
    if (!p)
        return -1;
    if (!try_reap(p, 0)) {
        kill(p->pid, SIGTERM);
        if (pwt_proc_wait(p, timeout_ms, NULL) != PW_OK) {
            pw_warn(NULL, "pwt: %s (pid %d) ignored SIGTERM for %u ms: killing it", p->name,
                    (int)p->pid, timeout_ms);
            /* The group id is the child's own PID: only its descendants are in it. */
            kill(-p->pid, SIGKILL);
            kill(p->pid, SIGKILL);
            try_reap(p, 1);
        }
    }
    return p->status;
}

void pwt_proc_destroy(pwt_proc_t *p)
{
    if (!p)
        return;
    pwt_proc_stop(p, 5000);
    free(p);
}

pw_status_t pwt_proc_wait_ports(pwt_proc_t *p, const char *ip, const int *ports, size_t n,
                                unsigned timeout_ms)
{
    uint64_t deadline = pwt_now_ms() + timeout_ms;
    size_t ready = 0;

    if (!p || !ip || (!ports && n > 0))
        return PW_EINVAL;
    for (;;) {
        if (!pwt_proc_alive(p))
            return PW_ECLOSED;
        while (ready < n && pwt_port_wait(ip, ports[ready], 0) == 0)
            ready++;
        if (ready == n)
            return PW_OK;
        if (pwt_now_ms() >= deadline)
            return PW_ETIMEOUT;
        pwt_sleep_ms(20);
    }
}

/* One process of /proc: its PID, parent and command name. */
typedef struct proc_entry {
    int pid;
    int ppid;
    char comm[32];
} proc_entry_t;

/* Read /proc/PID/stat: "PID (COMM) STATE PPID ..." (COMM may hold spaces and parentheses). */
static int read_stat(int pid, proc_entry_t *e)
{
    char path[64], buf[512];
    const char *open_paren, *close_paren;
    size_t len;
    FILE *f;

    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    f = fopen(path, "r");
    if (!f)
        return -1;
    len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = '\0';
    open_paren = strchr(buf, '(');
    close_paren = strrchr(buf, ')');
    if (!open_paren || !close_paren || close_paren < open_paren ||
        sscanf(close_paren + 1, " %*c %d", &e->ppid) != 1)
        return -1;
    len = (size_t)(close_paren - open_paren - 1);
    if (len >= sizeof e->comm)
        len = sizeof e->comm - 1;
    memcpy(e->comm, open_paren + 1, len);
    e->comm[len] = '\0';
    e->pid = pid;
    return 0;
}

/* Every process of /proc; the caller frees *out. Returns the count (0 on error). */
static size_t list_procs(proc_entry_t **out)
{
    DIR *d = opendir("/proc");
    struct dirent *de;
    proc_entry_t *v = NULL;
    size_t n = 0, cap = 0;

    *out = NULL;
    if (!d)
        return 0;
    while ((de = readdir(d)) != NULL) {
        char *end;
        long pid = strtol(de->d_name, &end, 10);
        proc_entry_t e;
        if (*end || pid <= 0 || read_stat((int)pid, &e) != 0)
            continue;
        if (n == cap) {
            proc_entry_t *grown = realloc(v, (cap ? cap * 2 : 256) * sizeof *grown);
            if (!grown)
                break;
            v = grown;
            cap = cap ? cap * 2 : 256;
        }
        v[n++] = e;
    }
    closedir(d);
    *out = v;
    return n;
}

size_t pwt_proc_descendants(int pid, const char *comm, int *out, size_t max)
{
    proc_entry_t *all = NULL;
    size_t n = list_procs(&all);
    size_t found = 0;
    int *queue = calloc(n + 1, sizeof *queue);
    size_t head = 0, tail = 0;

    if (queue && pid > 0) {
        queue[tail++] = pid;
        /* Breadth first: each process is some process's child at most once, so the queue
         * never holds more than n + 1 PIDs. */
        while (head < tail) {
            int parent = queue[head++];
            for (size_t i = 0; i < n && tail <= n; i++) {
                if (all[i].ppid != parent)
                    continue;
                queue[tail++] = all[i].pid;
                if (!comm || strcmp(all[i].comm, comm) == 0) {
                    if (found < max)
                        out[found] = all[i].pid;
                    found++;
                }
            }
        }
    }
    free(queue);
    free(all);
    return found;
}

/* Whether /proc/PID/cmdline, its arguments joined by spaces, contains text. */
static int cmdline_has(int pid, const char *text)
{
    char path[64], buf[8192];
    size_t len;
    FILE *f;

    snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
    f = fopen(path, "r");
    if (!f)
        return 0;
    len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    for (size_t i = 0; i < len; i++) {
        if (buf[i] == '\0')
            buf[i] = ' ';
    }
    buf[len] = '\0';
    return strstr(buf, text) != NULL;
}

size_t pwt_proc_find_cmdline(const char *text, int *out, size_t max)
{
    proc_entry_t *all = NULL;
    size_t n = list_procs(&all);
    size_t found = 0;

    for (size_t i = 0; text && *text && i < n; i++) {
        if (all[i].pid == (int)getpid() || !cmdline_has(all[i].pid, text))
            continue;
        if (found < max && out)
            out[found] = all[i].pid;
        found++;
    }
    free(all);
    return found;
}
