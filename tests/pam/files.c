/* SPDX-License-Identifier: BSD-3-Clause */
/* The libpam tests of unsafe config, key and list files. */
#include "pam.h"

static void test_unsafe_config_file(const char *t)
{
    conf(NULL);
    is_int(auth(me, t), PAM_SUCCESS, "baseline");

    chmod(P("pam_jwt.conf"), 0664);
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "group-writable config refused");
    ok(log_has("pam_jwt.conf: unsafe permissions 0664"), "log names the file and the problem");
    chmod(P("pam_jwt.conf"), 0646);
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "world-writable config refused");
    chmod(P("pam_jwt.conf"), 0644);

    rename(P("pam_jwt.conf"), P("real.conf"));
    ok(symlink(P("real.conf"), P("pam_jwt.conf")) == 0, "made a symbolic link");
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "config as a symbolic link refused");
    ok(log_has("is a symbolic link"), "log says symbolic link");
    unlink(P("pam_jwt.conf"));
    rename(P("real.conf"), P("pam_jwt.conf"));

    unlink(P("pam_jwt.conf"));
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "missing config refused");
    ok(log_has("cannot open"), "log says cannot open");
    mkdir(P("pam_jwt.conf"), 0755);
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "config that is a directory refused");
    rmdir(P("pam_jwt.conf"));
    mkfifo(P("pam_jwt.conf"), 0644);
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "config that is a FIFO refused (no hang)");
    unlink(P("pam_jwt.conf"));
    conf(NULL);
}

static void test_unsafe_key_file(const char *t)
{
    char buf[4096];
    chmod(P("ec256.pub"), 0666);
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "world-writable key_file refused");
    chmod(P("ec256.pub"), 0644);
    rename(P("ec256.pub"), P("ec256.real"));
    ok(symlink(P("ec256.real"), P("ec256.pub")) == 0, "made a symbolic link");
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "key_file as a symbolic link refused");
    unlink(P("ec256.pub"));
    rename(P("ec256.real"), P("ec256.pub"));
    snprintf(buf, sizeof(buf), "key_file = %s/missing.pub", dir);
    conf(buf);
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "missing key_file refused");
    snprintf(buf, sizeof(buf), "key_file = %s/ec256.key", dir);
    conf(buf);
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "private key as key_file refused");
    ok(log_has("holds a private key"), "log explains the private key");
    write_text("garbage.pub", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", 0644);
    snprintf(buf, sizeof(buf), "key_file = %s/garbage.pub", dir);
    conf(buf);
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "malformed key_file refused");
    {
        char pem[8192];
        FILE *f = fopen(P("ec256.pub"), "r");
        size_t pl = fread(pem, 1, sizeof(pem) - 200, f);
        fclose(f);
        strcpy(pem + pl, "-----BEGIN PUBLIC KEY-----\nAAAA!!\n-----END PUBLIC KEY-----\n");
        write_text("damaged.pub", pem, 0644);
    }
    snprintf(buf, sizeof(buf), "key_file = %s/damaged.pub", dir);
    conf(buf);
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "damaged PEM block after a good key refused");
    ok(log_has("damaged PEM block") || log_has("does not decode"), "damaged block logged");
    snprintf(buf, sizeof(buf), "key_file = %s/rsa1024.pub", dir);
    conf(buf);
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "1024-bit RSA key refused");
}

static void test_unsafe_secret_and_lists(const char *t)
{
    char buf[4096];
    write_text("hmac.secret", "0123456789abcdef0123456789abcdef-pamjwt\n", 0640);
    snprintf(buf, sizeof(buf), "hmac_secret_file = %s/hmac.secret", dir);
    conf(buf);
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "group-readable hmac_secret_file refused");
    ok(log_has("secret readable by group or others"), "log explains secret permissions");
    chmod(P("hmac.secret"), 0600);
    is_int(auth(me, t), PAM_SUCCESS, "mode 0600 hmac_secret_file accepted");
    write_text("hmac.secret", "short\n", 0600);
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "hmac secret shorter than 32 bytes refused");

    write_text("subjects", "x\n", 0666);
    snprintf(buf, sizeof(buf), "allowed_subjects_file = %s/subjects", dir);
    conf(buf);
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "world-writable allowed_subjects_file refused");
    write_text("usermap", "* %s\n", 0622);
    snprintf(buf, sizeof(buf), "user_map_file = %s/usermap", dir);
    conf(buf);
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "world-writable user_map_file refused");
}

static void test_unsafe_owners(const char *t)
{
    if (geteuid() == 0) {
        struct passwd *pw = getpwnam("nobody");
        conf(NULL);
        ok(chown(P("pam_jwt.conf"), pw ? pw->pw_uid : 65534, 0) == 0, "chown");
        is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "config owned by another user refused");
        ok(log_has("unsafe owner"), "log says unsafe owner");
        ok(chown(P("pam_jwt.conf"), 0, 0) == 0, "chown");
        ok(chown(P("ec256.pub"), pw ? pw->pw_uid : 65534, 0) == 0, "chown");
        is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "key_file owned by another user refused");
        ok(chown(P("ec256.pub"), 0, 0) == 0, "chown");
    } else {
        skip(7, "ownership tests need root");
    }
}

void test_unsafe_files(void)
{
    char *t = es256(me, 300, NULL);
    test_unsafe_config_file(t);
    test_unsafe_key_file(t);
    test_unsafe_secret_and_lists(t);
    test_unsafe_owners(t);
    conf(NULL);
    free(t);
}
