/* SPDX-License-Identifier: BSD-3-Clause */
/* A device_helper for tests/pam/device.c: plays a compromised pamjwt-device
 * and writes what it could reach to the file named by the request's
 * client_id (a path, for the test):
 *   sid_is_pid 1        it has a session of its own
 *   tty_open ERRNO      open("/dev/tty") (0: it opened: the user's terminal)
 *   tiocsti N           descriptors on which TIOCSTI pushed a byte
 *   no_new_privs 1      it cannot gain privileges
 *   pid P / child C     itself, and a child it left behind (same group)
 * With scope "wait" it then shows a code and waits (for the kill test);
 * else it answers "error denied". */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <unistd.h>

static char req[8192];

static const char *value(const char *key)
{
    static char v[4096];
    size_t kl = strlen(key);
    for (char *l = req; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (strncmp(l, key, kl) == 0 && l[kl] == ' ') {
            size_t n = strcspn(l + kl + 1, "\n");
            if (n >= sizeof(v))
                return NULL;
            memcpy(v, l + kl + 1, n);
            v[n] = '\0';
            return v;
        }
    return NULL;
}

int main(void)
{
    size_t n = 0;
    ssize_t got;
    while (n < sizeof(req) - 1 && (got = read(0, req + n, sizeof(req) - 1 - n)) > 0) {
        n += (size_t)got;
        if (n >= 2 && req[n - 1] == '\n' && req[n - 2] == '\n')
            break;
    }
    req[n] = '\0';
    const char *out = value("client_id");
    char path[4096];
    if (out == NULL || out[0] != '/')
        return 2;
    snprintf(path, sizeof(path), "%s", out);
    const char *scope = value("scope");
    int wait = scope && strcmp(scope, "wait") == 0;

    int tty = open("/dev/tty", O_RDWR | O_NOCTTY);
    int tty_err = tty >= 0 ? 0 : errno;
    int pushed = 0;
    char c = ' ';
    for (int fd = 0; fd <= 2; fd++)
        if (ioctl(fd, TIOCSTI, &c) == 0)
            pushed++;
    if (tty >= 0 && ioctl(tty, TIOCSTI, &c) == 0)
        pushed++;
    pid_t kid = fork();
    if (kid == 0) { /* left behind: must die with the sign-in */
        for (int i = 0; i < 600; i++)
            sleep(1);
        _exit(0);
    }
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return 2;
    fprintf(f, "sid_is_pid %d\ntty_open %d\ntiocsti %d\nno_new_privs %d\npid %ld\nchild %ld\n",
            getsid(0) == getpid(), tty_err, pushed, prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0),
            (long)getpid(), (long)kid);
    fclose(f);
    if (rename(tmp, path) != 0)
        return 2;
    if (wait) {
        printf("show https://idp.example/device ABCD-EFGH\n");
        fflush(stdout);
        for (int i = 0; i < 600; i++)
            sleep(1);
        return 0;
    }
    printf("error denied\n");
    return 0;
}
