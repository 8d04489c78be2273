/* SPDX-License-Identifier: BSD-3-Clause */
/* The libpam tests of proof of possession. */
#include "pam.h"

/* ---------------------------------------------------------- proof of possession */
/* RFC 7638 thumbprint, computed here independently of the module: the
 * required members dumped by jansson with sorted keys, no white space. */
static char *thumbprint(EVP_PKEY *k)
{
    char *jwk = tl_jwk(k, NULL, NULL, NULL);
    json_t *j = json_loads(jwk, 0, NULL), *req = json_object();
    const char *kty = json_string_value(json_object_get(j, "kty"));
    const char *names[] = {"kty", strcmp(kty, "RSA") == 0 ? "n" : "crv",
                           strcmp(kty, "RSA") == 0 ? "e" : "x", strcmp(kty, "EC") == 0 ? "y" : NULL};
    for (int i = 0; i < 4 && names[i]; i++)
        json_object_set(req, names[i], json_object_get(j, names[i]));
    char *canon = json_dumps(req, JSON_SORT_KEYS | JSON_COMPACT);
    unsigned char md[32];
    unsigned int ml = 0;
    EVP_Digest(canon, strlen(canon), md, &ml, EVP_sha256(), NULL);
    free(canon);
    free(jwk);
    json_decref(req);
    json_decref(j);
    return pj_b64url_encode(md, 32);
}

/* What the current proof test signs with and claims. */
static struct {
    EVP_PKEY *key;            /* the holder key that signs */
    EVP_PKEY *jwk_key;        /* the key put in the header's jwk */
    const char *alg, *typ;
    const char *token;        /* for ath */
    long iat_off;
    const char *nonce_override;
    const char *jwk_extra;    /* appended inside the jwk object */
    int chunk;                /* answer in pieces of this size (0: whole) */
    char *replay;             /* a proof to send instead of a fresh one */
    bool next_second;         /* sign in the second after the prompt came */
    char *last;               /* the last proof made */
    const char *aud;          /* the aud member's JSON; NULL: "ssh://HOST"; "" leaves it out */
} pop;
static char pop_host[256];    /* gethostname, as the module sees it */

static char *make_proof(const char *nonce)
{
    unsigned char md[32];
    unsigned int ml = 0;
    EVP_Digest(pop.token, strlen(pop.token), md, &ml, EVP_sha256(), NULL);
    char *ath = pj_b64url_encode(md, 32);
    char *jwk = tl_jwk(pop.jwk_key, NULL, NULL, NULL);
    if (pop.jwk_extra) {
        size_t l = strlen(jwk);
        char *j2 = malloc(l + strlen(pop.jwk_extra) + 2);
        sprintf(j2, "%.*s,%s}", (int)(l - 1), jwk, pop.jwk_extra);
        free(jwk);
        jwk = j2;
    }
    char hdr[4096], pl[1024], aud[600];
    snprintf(hdr, sizeof(hdr), "{\"typ\":\"%s\",\"alg\":\"%s\",\"jwk\":%s}", pop.typ, pop.alg, jwk);
    if (pop.aud == NULL)
        snprintf(aud, sizeof(aud), ",\"aud\":\"ssh://%s\"", pop_host);
    else
        snprintf(aud, sizeof(aud), "%s%s", pop.aud[0] ? ",\"aud\":" : "", pop.aud);
    if (pop.next_second) { /* a slow client: the clock reaches the next second first */
        long t0 = now;
        while (now == t0)
            nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
    }
    snprintf(pl, sizeof(pl), "{\"nonce\":\"%s\",\"iat\":%ld,\"ath\":\"%s\"%s}",
             pop.nonce_override ? pop.nonce_override : nonce, now + pop.iat_off, ath, aud);
    char *proof;
    if (strcmp(pop.alg, "none") == 0)
        proof = tl_unsigned(hdr, pl, "");
    else if (strncmp(pop.alg, "HS", 2) == 0)
        proof = tl_sign_raw(hdr, pl, pop.alg, NULL, (const unsigned char *)"0123456789abcdef0123456789abcdef", 32);
    else
        proof = tl_sign_raw(hdr, pl, pop.alg, pop.key, NULL, 0);
    free(ath);
    free(jwk);
    free(pop.last);
    pop.last = strdup(proof);
    return proof;
}

static char *pop_whole(const char *nonce)
{
    if (pop.replay)
        return strdup(pop.replay);
    return make_proof(nonce);
}

/* The proof in pieces of at most 400 bytes, as pamjwt askpass sends it. */
static char *pop_chunked(const char *nonce)
{
    char *proof = make_proof(nonce), *first = malloc(512);
    size_t len = strlen(proof);
    int h = snprintf(first, 512, "pamjwt-chunked:%zu:", len);
    size_t take = 400 - (size_t)h < len ? 400 - (size_t)h : len;
    memcpy(first + h, proof, take);
    first[(size_t)h + take] = '\0';
    free(pending);
    pending = proof;
    pending_off = take;
    if (strlen(first) > max_answer)
        max_answer = strlen(first);
    return first;
}

static int pop_auth(const char *tok)
{
    pop.token = tok;
    pop_answer = pop_whole;
    int rc = auth(me, tok);
    pop_answer = NULL;
    return rc;
}

static void pop_reset(EVP_PKEY *k, const char *alg)
{
    free(pop.last);
    free(pop.replay);
    memset(&pop, 0, sizeof(pop));
    pop.key = pop.jwk_key = k;
    pop.alg = alg;
    pop.typ = "pamjwt-pop+jwt";
}

static char *bound_token(EVP_PKEY *holder, const char *extra)
{
    char *jkt = thumbprint(holder), c[512];
    snprintf(c, sizeof(c), "\"cnf\":{\"jkt\":\"%s\"}%s%s", jkt, extra ? "," : "", extra ? extra : "");
    free(jkt);
    return es256(me, 300, c);
}

static void test_pop_holder_keys(EVP_PKEY *hec, EVP_PKEY *hed, EVP_PKEY *hrsa)
{
    conf("require_pop = yes");
    char *t = bound_token(hec, NULL);
    gethostname(pop_host, sizeof(pop_host));
    pop_host[sizeof(pop_host) - 1] = '\0';

    pop_reset(hec, "ES256");
    is_int(pop_auth(t), PAM_SUCCESS, "pop: ES256 holder key proves possession: accepted");
    {
        char *jkt = thumbprint(hec), want[128];
        snprintf(want, sizeof(want), " pop=jkt:%s", jkt);
        ok(log_has("accepted token for user") && log_has(want),
           "pop: the accept line says a proof by the holder key was checked (%s)", logbuf);
        free(jkt);
    }
    ok(strncmp(last_prompt, "pamjwt-pop ", 11) == 0 && strlen(last_prompt) == 11 + 43 + 2,
       "pop: prompt is 'pamjwt-pop NONCE: ' with a 43-character nonce (%s)", last_prompt);
    {
        char first[64];
        snprintf(first, sizeof(first), "%s", last_prompt);
        pop_reset(hec, "ES256");
        pop_auth(t);
        ok(strcmp(first, last_prompt) != 0, "pop: a fresh nonce at every login");
    }
    free(t);
    t = bound_token(hed, NULL);
    pop_reset(hed, "EdDSA");
    is_int(pop_auth(t), PAM_SUCCESS, "pop: EdDSA holder key: accepted");
    free(t);
    t = bound_token(hrsa, NULL);
    pop_reset(hrsa, "RS256");
    is_int(pop_auth(t), PAM_SUCCESS, "pop: RS256 holder key: accepted");
    free(t);
}

static void test_pop_bad_proofs(EVP_PKEY *hec, EVP_PKEY *other_key)
{
    char *t;
    t = bound_token(hec, NULL);
    pop_reset(hec, "ES256");
    pop_answer = NULL;
    script = (const char *const[]){NULL};
    script_n = 0;
    {
        /* the token is typed, then no answer to the proof prompt */
        const char *ans[] = {t, NULL};
        script = ans;
        script_n = 2;
        is_int(auth_args(NULL, me, NULL, NULL), PAM_CONV_ERR,
               "pop: conversation fails at the proof prompt (login abandoned): PAM_CONV_ERR");
        script = NULL;
        ok(log_has("proof of possession: no answer"), "... logged (%s)", logbuf);
        int lines = 0;
        for (const char *p = logbuf; (p = strstr(p, "pam_jwt(")) != NULL; p++)
            lines++;
        is_int(lines, 1, "... in one line");
    }
    pop_reset(hec, "ES256");
    pop.replay = strdup(" ");
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop: an empty answer to the proof prompt (no proof given): PAM_AUTH_ERR");
    ok(log_has("proof of possession failed: no proof (an empty answer)"),
       "... logged as no proof (%s)", logbuf);
    pop_reset(hec, "ES256");
    pop.nonce_override = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop: wrong nonce: refused");
    ok(log_has("proof of possession failed: nonce does not match"), "... logged");
    pop_reset(hec, "ES256");
    pop.iat_off = -120;
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop: stale iat (2 minutes, leeway 30): refused");
    ok(log_has("iat is not within leeway"), "... logged");
    pop_reset(hec, "ES256");
    pop.iat_off = 25;
    is_int(pop_auth(t), PAM_SUCCESS, "pop: iat 25 s ahead (within leeway): accepted");
    pop_reset(hec, "ES256");
    {
        char *t2 = bound_token(hec, "\"x\":1");
        pop.token = t2; /* ath of another token */
        pop_answer = make_proof;
        int rc = auth(me, t);
        pop_answer = NULL;
        is_int(rc, PAM_AUTH_ERR, "pop: ath of another token: refused");
        ok(log_has("ath is not the token's hash"), "... logged");
        free(t2);
    }
    pop_reset(other_key, "ES256");
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop: another key's proof (its own jwk): refused");
    ok(log_has("thumbprint does not match"), "... logged as a thumbprint mismatch");
    pop_reset(other_key, "ES256");
    pop.jwk_key = hec; /* the right jwk, signed by another key */
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop: right jwk, signed by another key: refused");
    ok(log_has("signature does not verify"), "... logged");
    pop_reset(hec, "ES256");
    pop.jwk_extra = "\"d\":\"AAAA\"";
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop: a jwk with d: refused");
    ok(log_has("private key members"), "... logged");
    pop_reset(hec, "HS256");
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop: an HMAC proof: refused");
    ok(log_has("HMAC"), "... logged");
    pop_reset(hec, "none");
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop: a none proof: refused");
    pop_reset(hec, "ES256");
    pop.typ = "dpop+jwt";
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop: typ dpop+jwt: refused");
    pop_reset(hec, "ES384");
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop: alg that does not fit the jwk: refused");
    /* a proof replayed from an earlier login */
    pop_reset(hec, "ES256");
    is_int(pop_auth(t), PAM_SUCCESS, "pop: a login with a good proof");
    pop.replay = strdup(pop.last);
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop: the same proof replayed at the next login: refused");
    ok(log_has("nonce does not match"), "... its nonce is stale");
    free(t);
}

static void test_pop_settings_one_time_pieces(EVP_PKEY *hec, EVP_PKEY *other_key, EVP_PKEY *hrsa)
{
    char *t;
    /* a token without cnf.jkt */
    t = es256(me, 300, NULL);
    pop_reset(hec, "ES256");
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop: token without cnf.jkt under require_pop = yes: refused");
    ok(log_has("has no cnf.jkt"), "... logged");
    is_int(conv_calls, 1, "... before the proof prompt");
    free(t);
    /* a bound token is never a bearer token: require_pop = no still asks */
    conf("require_pop = no");
    t = bound_token(hec, NULL);
    is_int(auth(me, t), PAM_AUTH_ERR,
           "pop: require_pop = no: a bound token without a proof (empty answer): refused");
    is_int(conv_calls, 2, "... after the proof prompt");
    ok(strncmp(last_prompt, "pamjwt-pop ", 11) == 0, "... which was 'pamjwt-pop NONCE: ' (%s)",
       last_prompt);
    pop_reset(hec, "ES256");
    is_int(pop_auth(t), PAM_SUCCESS, "pop: require_pop = no: a bound token with its proof: accepted");
    pop_reset(other_key, "ES256");
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop: require_pop = no: another key's proof: refused");
    conf("");
    is_int(auth(me, t), PAM_AUTH_ERR, "pop: require_pop unset (default): a bound token without a proof: refused");
    free(t);
    /* a cnf this module cannot check is no bearer token either */
    {
        const char *cnfs[] = {"\"cnf\":\"x\"", "\"cnf\":null", "\"cnf\":{\"jkt\":5}",
                              "\"cnf\":{\"jkt\":\"short\"}",
                              "\"cnf\":{\"jkt\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+\"}",
                              "\"cnf\":{\"x5t#S256\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}",
                              "\"cnf\":{}", "\"cnf\":[]"};
        for (size_t i = 0; i < sizeof(cnfs) / sizeof(cnfs[0]); i++) {
            t = es256(me, 300, cnfs[i]);
            pop_reset(hec, "ES256");
            is_int(pop_auth(t), PAM_AUTH_ERR, "pop: require_pop unset, %s: refused", cnfs[i]);
            ok(log_has("bound (cnf) by a method this module cannot check") && conv_calls == 1,
               "... as bound by a method it cannot check, before any proof prompt (%s)", logbuf);
            free(t);
        }
    }
    t = bound_token(hec, NULL);
    conf("require_pop = maybe");
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "require_pop = maybe: config error");
    /* a one-time token is not used up by a failed proof */
    mkdir(P("replay-pop"), 0700);
    {
        char extra[512];
        snprintf(extra, sizeof(extra), "require_pop = yes\nreplay_cache = %s/replay-pop", dir);
        conf(extra);
    }
    free(t);
    t = bound_token(hec, "\"jti\":\"pop-once\"");
    pop_reset(other_key, "ES256");
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop + one-time: a failed proof is refused");
    pop_reset(hec, "ES256");
    is_int(pop_auth(t), PAM_SUCCESS, "... and did not use the token up");
    is_int(pop_auth(t), PAM_AUTH_ERR, "... which a good proof then did");
    free(t);
    /* an RS256 proof in pieces under sudo's limit */
    conf("require_pop = yes");
    t = bound_token(hrsa, NULL);
    pop_reset(hrsa, "RS256");
    pop.token = t;
    pop_answer = pop_chunked;
    max_answer = 0;
    is_int(auth(me, t), PAM_SUCCESS, "pop: an RS256 proof sent in pieces: accepted");
    pop_answer = NULL;
    ok(max_answer > 0 && max_answer < 512, "... every proof answer under 512 bytes (longest %zu)", max_answer);
    ok(strlen(pop.last) > 511, "... for a proof of %zu bytes", strlen(pop.last));
    free(t);
}

/* iat is compared with the time the answer arrived, in whole seconds;
 * pop_audience takes any scheme and compares hosts as OpenSSH names them. */
static void test_pop_time_and_audience(EVP_PKEY *hec)
{
    char *t = bound_token(hec, NULL);
    conf("leeway = 0\nrequire_pop = yes");
    pop_reset(hec, "ES256");
    pop.next_second = true;
    is_int(pop_auth(t), PAM_SUCCESS,
           "pop: leeway = 0, a proof signed in the second after the prompt: accepted (%s)", logbuf);
    pop_reset(hec, "ES256");
    pop.iat_off = -2;
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop: leeway = 0, iat 2 s before the answer: refused");
    ok(log_has("iat is not within leeway of the time the proof arrived"), "... logged");
    conf("pop_audience = host://x");
    pop_reset(hec, "ES256");
    pop.aud = "\"host://x\"";
    is_int(pop_auth(t), PAM_SUCCESS, "pop: pop_audience = host://x (another scheme): accepted");
    pop_reset(hec, "ES256");
    is_int(pop_auth(t), PAM_AUTH_ERR, "... and then ssh://HOST is not");
    ok(log_has("this host accepts host://x"), "... logged (%s)", logbuf);
    conf("pop_audience = ssh://host.example");
    pop_reset(hec, "ES256");
    pop.aud = "\"ssh://HOST.EXAMPLE.\"";
    is_int(pop_auth(t), PAM_SUCCESS,
           "pop: a proof for ssh://HOST.EXAMPLE. where pop_audience is ssh://host.example: accepted");
    conf("pop_audience = SSH://Host.Example.");
    pop_reset(hec, "ES256");
    pop.aud = "\"ssh://host.example\"";
    is_int(pop_auth(t), PAM_SUCCESS, "pop: and the other way round: accepted");
    pop_reset(hec, "ES256");
    pop.aud = "\"ssh://host.example.evil\"";
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop: ssh://host.example.evil: refused");
    free(t);
}

/* use_first_pass allows no prompt (contract, module arguments), and a
 * bound token is never a bearer token: a bound PAM_AUTHTOK is refused
 * before any proof prompt, not proven through a conversation the stack
 * was told the module would not use. */
static void test_pop_use_first_pass(EVP_PKEY *hec)
{
    char stack[4096], *t = bound_token(hec, NULL);
    conf("");
    snprintf(stack, sizeof(stack),
             "auth optional %s set=%s\n"
             "auth [success=done ignore=ignore default=die] %s config=%s/pam_jwt.conf use_first_pass\n",
             settok, t, so, dir);
    pop_reset(hec, "ES256");
    pop.token = t;
    pop_answer = pop_whole;
    is_int(auth_stack(stack, me, NULL, NULL), PAM_AUTH_ERR,
           "pop + use_first_pass: a bound PAM_AUTHTOK (good proof on offer): refused (%s)", logbuf);
    pop_answer = NULL;
    is_int(conv_calls, 0, "... without a proof prompt: use_first_pass never prompts (prompts: %s)",
           last_prompt);
    ok(log_has("use_first_pass"), "... logged, naming use_first_pass (%s)", logbuf);
    /* try_first_pass: prompts are allowed, the proof is asked for */
    snprintf(stack, sizeof(stack),
             "auth optional %s set=%s\n"
             "auth [success=done ignore=ignore default=die] %s config=%s/pam_jwt.conf try_first_pass\n",
             settok, t, so, dir);
    pop_reset(hec, "ES256");
    pop.token = t;
    pop_answer = pop_whole;
    is_int(auth_stack(stack, me, NULL, NULL), PAM_SUCCESS,
           "pop + try_first_pass: a bound PAM_AUTHTOK with its proof: accepted");
    pop_answer = NULL;
    free(t);
}

void test_pop(void)
{
    EVP_PKEY *hec = tl_keygen("p256"), *hed = tl_keygen("ed25519"), *hrsa = tl_keygen("rsa"),
             *other_key = tl_keygen("p256");
    test_pop_holder_keys(hec, hed, hrsa);
    test_pop_bad_proofs(hec, other_key);
    test_pop_settings_one_time_pieces(hec, other_key, hrsa);
    test_pop_time_and_audience(hec);
    test_pop_use_first_pass(hec);
    free(pop.last);
    free(pop.replay);
    memset(&pop, 0, sizeof(pop));
    EVP_PKEY_free(hec);
    EVP_PKEY_free(hed);
    EVP_PKEY_free(hrsa);
    EVP_PKEY_free(other_key);
}

static void test_pop_audience_default(EVP_PKEY *hec, const char *t)
{
    char aud[600], want[1024];
    /* the default: ssh://%h local://%h */
    pop_reset(hec, "ES256");
    is_int(pop_auth(t), PAM_SUCCESS, "pop aud: default, ssh://HOST: accepted");
    snprintf(aud, sizeof(aud), "\"local://%s\"", pop_host);
    pop_reset(hec, "ES256");
    pop.aud = aud;
    is_int(pop_auth(t), PAM_SUCCESS, "pop aud: default, local://HOST: accepted");
    /* the relay: a server the user logs into forwards this host's nonce
     * to the user's client, which signs it for that server */
    pop_reset(hec, "ES256");
    pop.aud = "\"ssh://evil.example\"";
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop aud: a proof for another host (relayed nonce): refused");
    snprintf(want, sizeof(want),
             "proof of possession failed: proof is for ssh://evil.example, this host accepts "
             "ssh://%s local://%s", pop_host, pop_host);
    ok(log_has(want), "... logged: %s (%s)", want, logbuf);
    ok(!log_has(pop.last), "... the proof is not logged");
    snprintf(aud, sizeof(aud), "\"https://%s\"", pop_host);
    pop_reset(hec, "ES256");
    pop.aud = aud;
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop aud: the host under another scheme: refused");
    snprintf(aud, sizeof(aud), "\"ssh://%s.\"", pop_host);
    pop_reset(hec, "ES256");
    pop.aud = aud;
    is_int(pop_auth(t), PAM_SUCCESS, "pop aud: ssh://HOST. (a trailing dot, the same DNS name): accepted");
    snprintf(aud, sizeof(aud), "\"ssh://%s.x\"", pop_host);
    pop_reset(hec, "ES256");
    pop.aud = aud;
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop aud: ssh://HOST.x (a prefix match): refused");
    snprintf(aud, sizeof(aud), "\"ssh://%s\\u0000x\"", pop_host);
    pop_reset(hec, "ES256");
    pop.aud = aud;
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop aud: ssh://HOST\\0x (a NUL inside): refused");
    pop_reset(hec, "ES256");
    pop.aud = "\"ssh://x\\u001b[2J\\ny\"";
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop aud: control characters: refused");
    ok(log_has("proof is for ssh://x\\x1b[2J\\x0ay,") && strchr(logbuf, 0x1b) == NULL,
       "... logged escaped (%s)", logbuf);
    {
        char big[700];
        memset(big, 'a', sizeof(big));
        snprintf(big, sizeof(big), "\"ssh://%0500d\"", 7);
        pop_reset(hec, "ES256");
        pop.aud = big;
        is_int(pop_auth(t), PAM_AUTH_ERR, "pop aud: a 506-byte aud: refused");
        ok(log_has("proof is for ssh://0000") && log_has("..., this host accepts"),
           "... logged cut short (%s)", logbuf);
    }
    /* aud must be a string naming the target */
    pop_reset(hec, "ES256");
    pop.aud = "";
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop aud: a proof without aud: refused");
    ok(log_has("proof of possession failed: proof has no aud"), "... logged (%s)", logbuf);
    pop_reset(hec, "ES256");
    pop.aud = "42";
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop aud: a numeric aud: refused");
    ok(log_has("proof of possession failed: proof's aud is not a string"), "... logged (%s)", logbuf);
    snprintf(aud, sizeof(aud), "[\"ssh://%s\"]", pop_host);
    pop_reset(hec, "ES256");
    pop.aud = aud;
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop aud: an array holding this host: refused");
    ok(log_has("aud is not a string"), "... logged");
    pop_reset(hec, "ES256");
    pop.aud = "null";
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop aud: null: refused");
}

/* pop_audience: aliases, %h and %s (the service is "svc" here) */
static void test_pop_audience_setting(EVP_PKEY *hec, const char *t)
{
    char aud[600], want[1024];
    conf("require_pop = yes\n"
         "pop_audience = ssh://alias.example ssh://%h.lan local://%s-%h ssh://100%%");
    pop_reset(hec, "ES256");
    pop.aud = "\"ssh://alias.example\"";
    is_int(pop_auth(t), PAM_SUCCESS, "pop_audience: an alias listed there: accepted");
    snprintf(aud, sizeof(aud), "\"ssh://%s.lan\"", pop_host);
    pop_reset(hec, "ES256");
    pop.aud = aud;
    is_int(pop_auth(t), PAM_SUCCESS, "pop_audience: ssh://%%h.lan expanded: accepted");
    snprintf(aud, sizeof(aud), "\"local://svc-%s\"", pop_host);
    pop_reset(hec, "ES256");
    pop.aud = aud;
    is_int(pop_auth(t), PAM_SUCCESS, "pop_audience: local://%%s-%%h expanded: accepted");
    pop_reset(hec, "ES256");
    pop.aud = "\"ssh://100%\"";
    is_int(pop_auth(t), PAM_SUCCESS, "pop_audience: %%%% is a percent sign");
    pop_reset(hec, "ES256");
    pop.aud = "\"ssh://alias.example.evil\"";
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop_audience: a name it does not list: refused");
    snprintf(want, sizeof(want),
             "proof is for ssh://alias.example.evil, this host accepts ssh://alias.example "
             "ssh://%s.lan local://svc-%s ssh://100%%", pop_host, pop_host);
    ok(log_has(want), "... logged with the expanded list (%s)", logbuf);
    pop_reset(hec, "ES256");
    is_int(pop_auth(t), PAM_AUTH_ERR,
           "pop_audience set: the default ssh://HOST no longer accepted unless listed");
    snprintf(aud, sizeof(aud), "\"local://%%s-%s\"", pop_host);
    pop_reset(hec, "ES256");
    pop.aud = aud;
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop_audience: the unexpanded value itself: refused");
}

/* config errors name the key and the line */
static void test_pop_audience_config_errors(EVP_PKEY *hec, const char *t)
{
    struct { const char *line, *log; } bad[] = {
        {"pop_audience = ssh://%x", "pop_audience: unknown % sequence"},
        {"pop_audience = ssh://h 100%", "pop_audience: "},
        {"pop_audience = ssh://h\x01x", "pop_audience: control character"},
        {"pop_audience = ssh://a\npop_audience = ssh://b", ":7: pop_audience: duplicate key (first set on line 6)"},
        {"pop_audience = ", "pop_audience: empty value"},
        {"pop_audience = myhost.example", "pop_audience: expected a target of the form SCHEME://HOST"},
        {"pop_audience = ssh://a ssh://a", "pop_audience: target listed twice"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char extra[256];
        snprintf(extra, sizeof(extra), "require_pop = yes\n%s", bad[i].line);
        conf(extra);
        pop_reset(hec, "ES256");
        is_int(pop_auth(t), PAM_AUTHINFO_UNAVAIL, "pop_audience config error %zu: unavailable", i);
        ok(log_has(bad[i].log) && log_has("pam_jwt.conf:"), "... logged with file, line and key: %s (%s)",
           bad[i].log, logbuf);
    }
    /* without require_pop, a bound token is proven all the same, for pop_audience */
    conf("pop_audience = ssh://alias.example");
    is_int(auth(me, t), PAM_AUTH_ERR, "pop_audience without require_pop: a bound token without a proof: refused");
    is_int(conv_calls, 2, "... after the proof prompt");
    pop_reset(hec, "ES256");
    pop.aud = "\"ssh://alias.example\"";
    is_int(pop_auth(t), PAM_SUCCESS, "pop_audience without require_pop: a proof for ssh://alias.example: accepted");
}

/* The proof's aud (contract "Proof of possession", the target): a proof
 * is good for the host the client named, so a server the user logs into
 * cannot relay another host's nonce and pass the proof on. */
void test_pop_audience(void)
{
    EVP_PKEY *hec = tl_keygen("p256");
    char *t = bound_token(hec, NULL);
    gethostname(pop_host, sizeof(pop_host));
    pop_host[sizeof(pop_host) - 1] = '\0';
    conf("require_pop = yes");
    test_pop_audience_default(hec, t);
    test_pop_audience_setting(hec, t);
    test_pop_audience_config_errors(hec, t);
    free(t);
    free(pop.last);
    free(pop.replay);
    memset(&pop, 0, sizeof(pop));
    EVP_PKEY_free(hec);
}
