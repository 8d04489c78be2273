/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer harness: a key_file, and the DER inside its PUBLIC KEY blocks.
 *   input = bytes, used twice:
 *   1. as a DER SubjectPublicKeyInfo for pj_pkey_spki, the module's own
 *      DER reader for RSA, EC P-256/384/521 and Ed25519/Ed448 keys, checked
 *      against OpenSSL's d2i_PUBKEY (differential): when both build a key
 *      it must be the same key, and pj_pkey_spki must not accept what
 *      OpenSSL refuses;
 *   2. as the text of a key_file, loaded with pj_keys_load_pem from a
 *      private temporary file (PEM PUBLIC KEY / RSA PUBLIC KEY /
 *      CERTIFICATE blocks), every key then classified and tried with
 *      pj_sig_verify. */
#include "config.h"

#define FUZZ_NAME "fuzz_keyfile"
#include "fuzz.h"

#include "keys.h"
#include "log.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/pamjwt-fuzz-keyfile-XXXXXX";
static char path[sizeof(dir) + 16];

static void cleanup(void)
{
    unlink(path);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (mkdtemp(dir) == NULL) {
        perror("fuzz_keyfile: mkdtemp");
        abort();
    }
    snprintf(path, sizeof(path), "%s/key.pem", dir);
    atexit(cleanup);
    return 0;
}

static const char *type_name(EVP_PKEY *pk)
{
    const char *n = EVP_PKEY_get0_type_name(pk);
    return n ? n : "?";
}

static void spki_differential(const uint8_t *data, size_t size)
{
    const unsigned char *p = data;
    EVP_PKEY *fast = pj_pkey_spki(data, size);
    EVP_PKEY *ref = d2i_PUBKEY(NULL, &p, (long)size);
    if (ref != NULL && p != data + size) {
        EVP_PKEY_free(ref);
        ref = NULL;
    }
    ERR_clear_error();
    if (fast != NULL && ref != NULL) {
        if (EVP_PKEY_eq(fast, ref) != 1) {
            fprintf(stderr, "fuzz_keyfile: pj_pkey_spki built a %s key, d2i_PUBKEY a different %s key\n",
                    type_name(fast), type_name(ref));
            abort();
        }
    } else if (fast != NULL) {
        fprintf(stderr, "fuzz_keyfile: pj_pkey_spki accepted a %s key d2i_PUBKEY refuses\n",
                type_name(fast));
        abort();
    }
    ERR_clear_error();
    EVP_PKEY_free(fast);
    EVP_PKEY_free(ref);
}

static void load_file(const uint8_t *data, size_t size)
{
    static const unsigned char msg[] = "eyJhbGciOiJSUzI1NiJ9.e30";
    unsigned char sig[1024];
    pj_keyset ks;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size) || close(fd) != 0) {
        perror("fuzz_keyfile: write");
        abort();
    }
    memset(&ks, 0, sizeof(ks));
    memset(sig, 0x5a, sizeof(sig));
    if (pj_keys_load_pem(&ks, path, &quiet) == 0) {
        CHECK(ks.n > 0);
        for (size_t i = 0; i < ks.n; i++) {
            const pj_key *k = &ks.v[i];
            CHECK(k->pkey != NULL && !k->jwks && k->kid == NULL && k->alg == -1);
            if (k->kty == PJ_KTY_RSA)
                CHECK(EVP_PKEY_get_bits(k->pkey) >= PJ_MIN_RSA_BITS);
            for (int a = 0; a < PJ_ALG_COUNT; a++) {
                const pj_alg_info *ai = pj_alg_get((pj_alg)a);
                size_t siglen = ai->fam == PJ_FAM_EC ? 2 * ai->curve->coord
                                : ai->fam == PJ_FAM_EDDSA ? 64
                                                          : (size_t)EVP_PKEY_get_size(k->pkey);
                if (!pj_alg_fits_key((pj_alg)a, k) || siglen > sizeof(sig))
                    continue;
                CHECK(ai->fam != PJ_FAM_HMAC);
                CHECK(!pj_sig_verify((pj_alg)a, k, msg, sizeof(msg) - 1, sig, siglen));
            }
        }
    } else {
        CHECK(ks.n == 0 || ks.v != NULL);
    }
    pj_keyset_free(&ks);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    spki_differential(data, size);
    load_file(data, size);
    return 0;
}
