/*
 * XMP packets: a small, bounded XML scanner that understands just enough
 * XML (elements, attributes, namespaces, the five predefined entities,
 * numeric character references, CDATA, comments, PIs) to find and update
 * TC260:AIGC and Iptc4xmpExt:DigitalSourceType. DTDs are refused, so there
 * is no entity expansion. Namespaces are resolved by URI, with scoping.
 *
 * Writing edits the old packet in place: the scan records byte spans, the
 * writer turns them into a sorted list of (offset, delete, insert) edits
 * and copies every other byte unchanged. Growth is paid for out of the
 * trailing xpacket padding where there is some.
 */
#include <stdlib.h>
#include <string.h>

#include "container/xmp.h"

#define NS_RDF "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#define NS_XML "http://www.w3.org/XML/1998/namespace"

/* Attributes on one element, namespace bindings in scope at once. */
#define XMP_MAX_ATTRS 4096u
#define XMP_MAX_BINDINGS 4096u
/* Longest prefix we remember for reuse when inserting. */
#define XMP_MAX_PREFIX 64u

enum { K_OTHER, K_RDF, K_DESC, K_AIGC, K_DST };

/* One TC260:AIGC or DigitalSourceType occurrence, as byte spans. */
typedef struct xprop {
    int attr;           /* value is an attribute value (attribute form or rdf:resource) */
    int empty;          /* element form written as <q/> with no value */
    char quote;         /* attr: the quote character */
    size_t ws_off;      /* attr: start of the whitespace before the attribute name */
    size_t whole_off;   /* element: '<' of the start tag */
    size_t whole_end;   /* element: just past the end tag */
    size_t val_off, val_end; /* raw (escaped) value bytes */
    size_t q_off, q_len;     /* element qname */
} xprop;

typedef struct xbind {
    size_t pre_off, pre_len; /* prefix in the packet; pre_len 0 = default namespace */
    size_t uri_off, uri_len; /* decoded URI in the arena */
} xbind;

typedef struct xattr {
    size_t ws_off, n_off, n_len, v_off, v_len;
    char quote;
} xattr;

typedef struct xelem {
    size_t q_off, q_len;
    size_t start, content;
    size_t nbind, arena_len;
    int kind, in_value;
    int res; /* a DigitalSourceType element with rdf:resource */
} xelem;

typedef struct xp {
    const char *s;
    size_t n;
    aim_diag *diag;
    meta_found *f; /* report mode when set */
    const char *loc;

    xelem stack[AIM_MAX_DEPTH];
    size_t depth;
    size_t elements;
    xbind *b;
    size_t nb, capb;
    aim_buf arena;
    xattr *a;
    size_t na, capa;
    aim_buf val;
    size_t collect; /* depth of the element whose text is collected, 0 = none */

    /* what the scan found */
    xprop *aigc;
    size_t n_aigc, cap_aigc;
    xprop dst;
    int has_dst;
    int seen_root, junk;
    size_t root_end;
    int has_end_pi;
    size_t end_pi_off;

    int has_rdf, rdf_empty, rdf_prefix_ok;
    size_t rdf_attrs_end, rdf_tag_end, rdf_close_off, rdf_q_off, rdf_q_len;

    int has_desc, desc_empty;
    size_t desc_attrs_end, desc_tag_end, desc_q_off, desc_q_len;
    char tc_prefix[XMP_MAX_PREFIX + 1], iptc_prefix[XMP_MAX_PREFIX + 1];
    unsigned tc_free, iptc_free; /* bit i: candidate prefix i is unbound at the Description */
} xp;

static const char *const TC_CANDIDATES[] = {"TC260", "aimTC260", "aimTC260x"};
static const char *const IPTC_CANDIDATES[] = {"Iptc4xmpExt", "aimIptc4xmpExt", "aimIptcx"};
#define N_CANDIDATES 3

static int corrupt(xp *x, size_t at, const char *what)
{
    return diag_fail(x->diag, AIM_ERR_CORRUPT, "xmp: %s at byte %zu", what, at);
}

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* XML names never hold control characters (a NUL inside a prefix once made
 * a declaration the writer then mis-resolved: fuzz_xmp). */
static int is_name_char(char c)
{
    unsigned char u = (unsigned char)c;
    return u > 0x20 && u != 0x7f && c != '/' && c != '>' && c != '<' && c != '=' && c != '"' && c != '\'' &&
           c != '&' && c != '?' && c != '!';
}

static int starts(const char *s, size_t n, size_t i, const char *pat)
{
    size_t k = strlen(pat);
    return n - i >= k && memcmp(s + i, pat, k) == 0;
}

/* Offset of `pat` at or after `from`, or n. */
static size_t find(const char *s, size_t n, size_t from, const char *pat)
{
    size_t k = strlen(pat);
    while (from < n && n - from >= k) {
        const char *p = memchr(s + from, pat[0], n - from);
        if (!p)
            return n;
        size_t at = (size_t)(p - s);
        if (n - at < k)
            return n;
        if (memcmp(p, pat, k) == 0)
            return at;
        from = at + 1;
    }
    return n;
}

static int eq(const char *a, size_t an, const char *lit)
{
    return an == strlen(lit) && memcmp(a, lit, an) == 0;
}

static void put_utf8(aim_buf *out, uint32_t cp)
{
    uint8_t u[4];
    size_t k;
    if (cp < 0x80) {
        u[0] = (uint8_t)cp;
        k = 1;
    } else if (cp < 0x800) {
        u[0] = (uint8_t)(0xC0 | (cp >> 6));
        u[1] = (uint8_t)(0x80 | (cp & 0x3F));
        k = 2;
    } else if (cp < 0x10000) {
        u[0] = (uint8_t)(0xE0 | (cp >> 12));
        u[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (uint8_t)(0x80 | (cp & 0x3F));
        k = 3;
    } else {
        u[0] = (uint8_t)(0xF0 | (cp >> 18));
        u[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (uint8_t)(0x80 | (cp & 0x3F));
        k = 4;
    }
    buf_put(out, u, k);
}

/*
 * Decode character data or an attribute value (attr: whitespace becomes a
 * space, as XML attribute-value normalisation does). out NULL: validate
 * only. Returns 0 or AIM_ERR_CORRUPT for a bad reference.
 */
static int unescape(aim_buf *out, const char *p, size_t n, int attr)
{
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == '&') {
            size_t j = i + 1;
            while (j < n && j - i <= 16 && p[j] != ';')
                j++;
            if (j >= n || p[j] != ';')
                return AIM_ERR_CORRUPT;
            const char *e = p + i + 1;
            size_t el = j - i - 1;
            uint32_t cp = 0;
            if (eq(e, el, "lt"))
                cp = '<';
            else if (eq(e, el, "gt"))
                cp = '>';
            else if (eq(e, el, "amp"))
                cp = '&';
            else if (eq(e, el, "quot"))
                cp = '"';
            else if (eq(e, el, "apos"))
                cp = '\'';
            else if (el >= 2 && e[0] == '#') {
                int hex = e[1] == 'x';
                size_t k = hex ? 2 : 1;
                if (k >= el)
                    return AIM_ERR_CORRUPT;
                for (; k < el; k++) {
                    char d = e[k];
                    uint32_t v;
                    if (d >= '0' && d <= '9')
                        v = (uint32_t)(d - '0');
                    else if (hex && d >= 'a' && d <= 'f')
                        v = (uint32_t)(d - 'a' + 10);
                    else if (hex && d >= 'A' && d <= 'F')
                        v = (uint32_t)(d - 'A' + 10);
                    else
                        return AIM_ERR_CORRUPT;
                    cp = cp * (hex ? 16u : 10u) + v;
                    if (cp > 0x10FFFF)
                        return AIM_ERR_CORRUPT;
                }
                if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF))
                    return AIM_ERR_CORRUPT;
            } else {
                return AIM_ERR_CORRUPT; /* no DTD, so no other entities */
            }
            if (out)
                put_utf8(out, cp);
            i = j;
        } else if (c == '<') {
            return AIM_ERR_CORRUPT;
        } else if (c == '\r') {
            if (i + 1 < n && p[i + 1] == '\n')
                i++;
            if (out)
                buf_putc(out, attr ? ' ' : '\n');
        } else if (attr && (c == '\n' || c == '\t')) {
            if (out)
                buf_putc(out, ' ');
        } else if (out) {
            buf_putc(out, (uint8_t)c);
        }
    }
    return AIM_OK;
}

/* Append s[0..n) escaped for element content (attr 0) or an attribute value. */
static void escape(aim_buf *out, const char *s, size_t n, int attr)
{
    static const char HEX[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '&': buf_puts(out, "&amp;"); break;
        case '<': buf_puts(out, "&lt;"); break;
        case '>': buf_puts(out, "&gt;"); break;
        case '"': buf_puts(out, "&quot;"); break;
        case '\'':
            if (attr)
                buf_puts(out, "&apos;");
            else
                buf_putc(out, c);
            break;
        default:
            if (c < 0x20) {
                char r[7] = {'&', '#', 'x', HEX[c >> 4], HEX[c & 15], ';', 0};
                buf_puts(out, r);
            } else {
                buf_putc(out, c);
            }
        }
    }
}

/* ---- namespaces ------------------------------------------------------------ */

/* The URI bound to prefix (plen 0: the default namespace), or NULL. */
static const char *lookup(const xp *x, const char *pre, size_t plen, size_t *ulen)
{
    if (plen == 3 && memcmp(pre, "xml", 3) == 0) {
        *ulen = strlen(NS_XML);
        return NS_XML;
    }
    for (size_t i = x->nb; i-- > 0;) {
        const xbind *b = &x->b[i];
        if (b->pre_len == plen && memcmp(x->s + b->pre_off, pre, plen) == 0) {
            *ulen = b->uri_len;
            if (b->uri_len == 0)
                return NULL; /* xmlns="" undeclares the default */
            return (const char *)x->arena.p + b->uri_off;
        }
    }
    return NULL;
}

/* Split a qname and resolve it; attributes without a prefix have no namespace. */
static int resolve(const xp *x, size_t q_off, size_t q_len, int is_attr, const char **local,
                   size_t *llen, const char **uri, size_t *ulen)
{
    const char *q = x->s + q_off;
    const char *colon = memchr(q, ':', q_len);
    *uri = NULL;
    *ulen = 0;
    if (colon) {
        size_t plen = (size_t)(colon - q);
        *local = colon + 1;
        *llen = q_len - plen - 1;
        if (plen == 0 || *llen == 0 || memchr(*local, ':', *llen))
            return AIM_ERR_CORRUPT; /* "p:" or ":l" or "a:b:c" */
        *uri = lookup(x, q, plen, ulen);
        if (!*uri)
            return AIM_ERR_CORRUPT; /* an undeclared prefix */
    } else {
        *local = q;
        *llen = q_len;
        if (!is_attr)
            *uri = lookup(x, "", 0, ulen);
    }
    return AIM_OK;
}

static int ns_is(const char *uri, size_t ulen, const char *ns)
{
    return uri && eq(uri, ulen, ns);
}

/* A non-default prefix currently bound to ns (and not shadowed), copied to dst. */
static void prefix_for(const xp *x, const char *ns, char *dst)
{
    dst[0] = 0;
    for (size_t i = x->nb; i-- > 0;) {
        const xbind *b = &x->b[i];
        if (b->pre_len == 0 || b->pre_len > XMP_MAX_PREFIX ||
            !eq((const char *)x->arena.p + b->uri_off, b->uri_len, ns))
            continue;
        size_t ul = 0;
        const char *u = lookup(x, x->s + b->pre_off, b->pre_len, &ul);
        if (ns_is(u, ul, ns)) {
            memcpy(dst, x->s + b->pre_off, b->pre_len);
            dst[b->pre_len] = 0;
            return;
        }
    }
}

static unsigned free_candidates(const xp *x, const char *const *cand)
{
    unsigned m = 0;
    for (unsigned i = 0; i < N_CANDIDATES; i++) {
        size_t ul = 0;
        int bound = lookup(x, cand[i], strlen(cand[i]), &ul) != NULL;
        for (size_t k = 0; k < x->nb && !bound; k++) /* also xmlns:p="" */
            bound = eq(x->s + x->b[k].pre_off, x->b[k].pre_len, cand[i]);
        if (!bound)
            m |= 1u << i;
    }
    return m;
}

/* ---- the scan -------------------------------------------------------------- */

static int add_prop(xp *x, const xprop *p)
{
    if (x->n_aigc == x->cap_aigc) {
        if (x->n_aigc >= AIM_MAX_ITEMS)
            return diag_fail(x->diag, AIM_ERR_LIMIT, "xmp: too many TC260:AIGC properties");
        size_t cap = x->cap_aigc ? x->cap_aigc * 2 : 4;
        xprop *np = realloc(x->aigc, cap * sizeof *np);
        if (!np)
            return AIM_ERR_NOMEM;
        x->aigc = np;
        x->cap_aigc = cap;
    }
    x->aigc[x->n_aigc++] = *p;
    return AIM_OK;
}

static int report_label(xp *x, const char *raw, size_t n, int attr)
{
    if (!x->f)
        return AIM_OK;
    buf_clear(&x->val);
    unescape(&x->val, raw, n, attr);
    if (x->val.err)
        return diag_fail(x->diag, x->val.err, "xmp: TC260:AIGC value too large");
    return found_label(x->f, x->loc, x->val.len ? (const char *)x->val.p : "", x->val.len);
}

static int report_dst(xp *x, const char *raw, size_t n, int attr)
{
    if (!x->f || x->f->source_type)
        return AIM_OK;
    aim_buf v = AIM_BUF_INIT;
    v.limit = 4096;
    unescape(&v, raw, n, attr);
    int rc = v.err;
    if (!rc) {
        size_t a = 0, e = v.len;
        while (a < e && is_ws((char)v.p[a]))
            a++;
        while (e > a && is_ws((char)v.p[e - 1]))
            e--;
        if (e > a)
            rc = found_source_type(x->f, v.p + a, e - a);
    } else {
        rc = AIM_OK; /* an absurd URI is simply not reported */
    }
    buf_free(&v);
    return rc;
}

static int on_text(xp *x, size_t a, size_t e)
{
    if (x->depth == 0) {
        for (size_t i = a; i < e; i++)
            if (!is_ws(x->s[i]) && x->s[i] != 0)
                x->junk = 1;
        return AIM_OK;
    }
    if (unescape(NULL, x->s + a, e - a, 0))
        return corrupt(x, a, "bad character reference");
    return AIM_OK;
}

static int push_bind(xp *x, size_t pre_off, size_t pre_len, const xattr *at)
{
    if (x->nb == x->capb) {
        if (x->nb >= XMP_MAX_BINDINGS)
            return diag_fail(x->diag, AIM_ERR_LIMIT, "xmp: too many namespace declarations");
        size_t cap = x->capb ? x->capb * 2 : 16;
        xbind *nb = realloc(x->b, cap * sizeof *nb);
        if (!nb)
            return AIM_ERR_NOMEM;
        x->b = nb;
        x->capb = cap;
    }
    size_t off = x->arena.len;
    if (unescape(&x->arena, x->s + at->v_off, at->v_len, 1))
        return corrupt(x, at->v_off, "bad character reference in a namespace URI");
    buf_putc(&x->arena, 0);
    if (x->arena.err)
        return diag_fail(x->diag, x->arena.err, "xmp: namespace URIs too large");
    xbind *b = &x->b[x->nb++];
    b->pre_off = pre_off;
    b->pre_len = pre_len;
    b->uri_off = off;
    b->uri_len = x->arena.len - off - 1;
    return AIM_OK;
}

static int end_elem(xp *x, size_t end_start, size_t end_stop, int empty);

static int start_tag(xp *x, size_t i, size_t *next)
{
    const char *s = x->s;
    size_t n = x->n, p = i + 1;
    size_t q_off = p;
    while (p < n && is_name_char(s[p]))
        p++;
    size_t q_len = p - q_off;
    if (q_len == 0)
        return corrupt(x, i, "bad start tag");
    x->na = 0;
    int empty = 0;
    size_t attrs_end, tag_end;
    for (;;) {
        size_t ws = p;
        while (p < n && is_ws(s[p]))
            p++;
        if (p >= n)
            return corrupt(x, i, "unterminated start tag");
        if (s[p] == '>') {
            attrs_end = p;
            tag_end = p + 1;
            break;
        }
        if (s[p] == '/') {
            if (p + 1 < n && s[p + 1] == '>') {
                empty = 1;
                attrs_end = p;
                tag_end = p + 2;
                break;
            }
            return corrupt(x, p, "bad start tag");
        }
        if (ws == p)
            return corrupt(x, p, "attributes not separated by whitespace");
        xattr at;
        at.ws_off = ws;
        at.n_off = p;
        while (p < n && is_name_char(s[p]))
            p++;
        at.n_len = p - at.n_off;
        if (at.n_len == 0)
            return corrupt(x, p, "bad attribute name");
        while (p < n && is_ws(s[p]))
            p++;
        if (p >= n || s[p] != '=')
            return corrupt(x, p, "attribute without a value");
        p++;
        while (p < n && is_ws(s[p]))
            p++;
        if (p >= n || (s[p] != '"' && s[p] != '\''))
            return corrupt(x, p, "unquoted attribute value");
        at.quote = s[p];
        at.v_off = p + 1;
        const char *close = memchr(s + at.v_off, at.quote, n - at.v_off);
        if (!close)
            return corrupt(x, p, "unterminated attribute value");
        at.v_len = (size_t)(close - s) - at.v_off;
        if (unescape(NULL, s + at.v_off, at.v_len, 1))
            return corrupt(x, at.v_off, "bad attribute value");
        p = (size_t)(close - s) + 1;
        if (x->na == x->capa) {
            if (x->na >= XMP_MAX_ATTRS)
                return diag_fail(x->diag, AIM_ERR_LIMIT, "xmp: too many attributes on one element");
            size_t cap = x->capa ? x->capa * 2 : 16;
            xattr *na = realloc(x->a, cap * sizeof *na);
            if (!na)
                return AIM_ERR_NOMEM;
            x->a = na;
            x->capa = cap;
        }
        x->a[x->na++] = at;
    }
    if (x->depth >= AIM_MAX_DEPTH)
        return diag_fail(x->diag, AIM_ERR_LIMIT, "xmp: elements nested deeper than %d",
                         AIM_MAX_DEPTH);
    const xelem *parent = x->depth ? &x->stack[x->depth - 1] : NULL;
    xelem *e = &x->stack[x->depth];
    e->q_off = q_off;
    e->q_len = q_len;
    e->start = i;
    e->content = tag_end;
    e->nbind = x->nb;
    e->arena_len = x->arena.len;
    e->in_value = parent && (parent->in_value || parent->kind == K_AIGC || parent->kind == K_DST);
    e->kind = K_OTHER;
    x->depth++;

    int rc;
    for (size_t k = 0; k < x->na; k++) {
        const xattr *at = &x->a[k];
        const char *nm = s + at->n_off;
        if (eq(nm, at->n_len, "xmlns"))
            rc = push_bind(x, at->n_off, 0, at);
        else if (at->n_len > 6 && memcmp(nm, "xmlns:", 6) == 0) {
            /* a prefix is an NCName: "xmlns:a:b" binds nothing we could write back */
            if (memchr(nm + 6, ':', at->n_len - 6))
                return corrupt(x, at->n_off, "namespace prefix with a colon");
            rc = push_bind(x, at->n_off + 6, at->n_len - 6, at);
        }
        else
            continue;
        if (rc)
            return rc;
    }

    const char *local, *uri;
    size_t llen, ulen;
    if (resolve(x, q_off, q_len, 0, &local, &llen, &uri, &ulen))
        return corrupt(x, i, "bad element name or undeclared prefix");
    if (!e->in_value) {
        if (ns_is(uri, ulen, NS_RDF) && eq(local, llen, "RDF"))
            e->kind = K_RDF;
        else if (ns_is(uri, ulen, NS_RDF) && eq(local, llen, "Description") && parent &&
                 parent->kind == K_RDF)
            e->kind = K_DESC;
        else if (ns_is(uri, ulen, XMP_NS_TC260) && eq(local, llen, "AIGC"))
            e->kind = K_AIGC;
        else if (ns_is(uri, ulen, XMP_NS_IPTC_EXT) && eq(local, llen, "DigitalSourceType"))
            e->kind = K_DST;
    }

    /* attribute-form properties, and rdf:resource on a DigitalSourceType element */
    e->res = 0;
    for (size_t k = 0; k < x->na && !e->in_value; k++) {
        const xattr *at = &x->a[k];
        const char *nm = s + at->n_off;
        if (eq(nm, at->n_len, "xmlns") || (at->n_len > 6 && memcmp(nm, "xmlns:", 6) == 0))
            continue;
        if (resolve(x, at->n_off, at->n_len, 1, &local, &llen, &uri, &ulen))
            return corrupt(x, at->n_off, "bad attribute name or undeclared prefix");
        xprop pr;
        memset(&pr, 0, sizeof pr);
        pr.attr = 1;
        pr.quote = at->quote;
        pr.ws_off = at->ws_off;
        pr.val_off = at->v_off;
        pr.val_end = at->v_off + at->v_len;
        if (e->kind == K_DST) {
            if (ns_is(uri, ulen, NS_RDF) && eq(local, llen, "resource") && !e->res) {
                e->res = 1;
                if (!x->has_dst) {
                    x->dst = pr;
                    x->has_dst = 1;
                }
                rc = report_dst(x, s + at->v_off, at->v_len, 1);
                if (rc)
                    return rc;
            }
            continue;
        }
        if (e->kind == K_AIGC)
            continue;
        if (ns_is(uri, ulen, XMP_NS_TC260) && eq(local, llen, "AIGC")) {
            rc = add_prop(x, &pr);
            if (!rc)
                rc = report_label(x, s + at->v_off, at->v_len, 1);
            if (rc)
                return rc;
        } else if (ns_is(uri, ulen, XMP_NS_IPTC_EXT) && eq(local, llen, "DigitalSourceType")) {
            if (!x->has_dst) {
                x->dst = pr;
                x->has_dst = 1;
            }
            rc = report_dst(x, s + at->v_off, at->v_len, 1);
            if (rc)
                return rc;
        }
    }

    if (e->kind == K_RDF && !x->has_rdf) {
        x->has_rdf = 1;
        x->rdf_empty = empty;
        x->rdf_attrs_end = attrs_end;
        x->rdf_tag_end = tag_end;
        x->rdf_q_off = q_off;
        x->rdf_q_len = q_len;
        x->rdf_close_off = tag_end; /* fixed at the end tag */
        size_t ul = 0;
        const char *ru = lookup(x, "rdf", 3, &ul);
        x->rdf_prefix_ok = ns_is(ru, ul, NS_RDF);
    }
    if (e->kind == K_DESC && !x->has_desc) {
        x->has_desc = 1;
        x->desc_empty = empty;
        x->desc_attrs_end = attrs_end;
        x->desc_tag_end = tag_end;
        x->desc_q_off = q_off;
        x->desc_q_len = q_len;
        prefix_for(x, XMP_NS_TC260, x->tc_prefix);
        prefix_for(x, XMP_NS_IPTC_EXT, x->iptc_prefix);
        x->tc_free = free_candidates(x, TC_CANDIDATES);
        x->iptc_free = free_candidates(x, IPTC_CANDIDATES);
    }
    if ((e->kind == K_AIGC || e->kind == K_DST) && !empty) {
        x->collect = x->depth;
        buf_clear(&x->val);
    }
    *next = tag_end;
    if (empty)
        return end_elem(x, tag_end, tag_end, 1);
    return AIM_OK;
}

static int end_elem(xp *x, size_t end_start, size_t end_stop, int empty)
{
    xelem *e = &x->stack[x->depth - 1];
    int rc = AIM_OK;
    if (e->kind == K_AIGC || e->kind == K_DST) {
        xprop pr;
        memset(&pr, 0, sizeof pr);
        pr.empty = empty;
        pr.whole_off = e->start;
        pr.whole_end = end_stop;
        pr.val_off = e->content;
        pr.val_end = empty ? e->content : end_start;
        pr.q_off = e->q_off;
        pr.q_len = e->q_len;
        if (e->kind == K_AIGC) {
            rc = add_prop(x, &pr);
            if (!rc && x->f) {
                if (x->val.err)
                    return diag_fail(x->diag, x->val.err, "xmp: TC260:AIGC value too large");
                rc = found_label(x->f, x->loc, empty || !x->val.len ? "" : (const char *)x->val.p,
                                 empty ? 0 : x->val.len);
            }
        } else if (!e->res) {
            if (!x->has_dst) {
                x->dst = pr;
                x->has_dst = 1;
            }
            if (!empty && x->f && !x->val.err)
                rc = report_dst(x, (const char *)x->val.p, x->val.len, 0);
        }
        x->collect = 0;
    }
    if (e->kind == K_RDF && x->rdf_q_off == e->q_off && !empty)
        x->rdf_close_off = end_start;
    x->nb = e->nbind;
    x->arena.len = e->arena_len;
    x->depth--;
    if (x->depth == 0) {
        x->seen_root = 1;
        x->root_end = end_stop;
    }
    return rc;
}

/* Text of the collected element: kept escaped-free in x->val (report mode only). */
static void collect_text(xp *x, size_t a, size_t e, int cdata)
{
    if (!x->f || !x->collect || x->collect != x->depth)
        return;
    if (cdata) {
        for (size_t i = a; i < e; i++) {
            char c = x->s[i];
            if (c == '\r') {
                if (i + 1 < e && x->s[i + 1] == '\n')
                    i++;
                c = '\n';
            }
            buf_putc(&x->val, (uint8_t)c);
        }
    } else {
        unescape(&x->val, x->s + a, e - a, 0);
    }
}

static int scan(xp *x)
{
    const char *s = x->s;
    size_t n = x->n, i = 0;
    if (n > AIM_MAX_META_BYTES)
        return diag_fail(x->diag, AIM_ERR_LIMIT, "xmp: packet of %zu bytes is too large", n);
    x->val.limit = AIM_MAX_LABEL_TEXT;
    x->arena.limit = 1u << 20;
    if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    int rc;
    while (i < n) {
        if (s[i] != '<') {
            const char *lt = memchr(s + i, '<', n - i);
            size_t e = lt ? (size_t)(lt - s) : n;
            rc = on_text(x, i, e);
            if (rc)
                return rc;
            collect_text(x, i, e, 0);
            i = e;
            continue;
        }
        if (starts(s, n, i, "<?")) {
            size_t e = find(s, n, i + 2, "?>");
            if (e >= n)
                return corrupt(x, i, "unterminated processing instruction");
            if (x->depth == 0 && starts(s, n, i, "<?xpacket") && find(s, e, i, "end=") < e &&
                !x->has_end_pi) {
                x->has_end_pi = 1;
                x->end_pi_off = i;
            }
            i = e + 2;
            continue;
        }
        if (starts(s, n, i, "<!--")) {
            size_t e = find(s, n, i + 4, "-->");
            if (e >= n)
                return corrupt(x, i, "unterminated comment");
            i = e + 3;
            continue;
        }
        if (starts(s, n, i, "<![CDATA[")) {
            if (x->depth == 0)
                return corrupt(x, i, "CDATA outside the root element");
            size_t e = find(s, n, i + 9, "]]>");
            if (e >= n)
                return corrupt(x, i, "unterminated CDATA section");
            collect_text(x, i + 9, e, 1);
            i = e + 3;
            continue;
        }
        if (starts(s, n, i, "<!"))
            return corrupt(x, i, "DTDs and declarations are not allowed");
        if (starts(s, n, i, "</")) {
            size_t p = i + 2, q = p;
            while (p < n && is_name_char(s[p]))
                p++;
            size_t q_len = p - q;
            while (p < n && is_ws(s[p]))
                p++;
            if (p >= n || s[p] != '>')
                return corrupt(x, i, "bad end tag");
            if (x->depth == 0)
                return corrupt(x, i, "end tag without a start tag");
            const xelem *top = &x->stack[x->depth - 1];
            if (q_len != top->q_len || memcmp(s + q, s + top->q_off, q_len) != 0)
                return corrupt(x, i, "mismatched end tag");
            rc = end_elem(x, i, p + 1, 0);
            if (rc)
                return rc;
            i = p + 1;
            continue;
        }
        if (x->seen_root && x->depth == 0)
            return corrupt(x, i, "more than one root element");
        if (++x->elements > AIM_MAX_ITEMS)
            return diag_fail(x->diag, AIM_ERR_LIMIT, "xmp: more than %u elements", AIM_MAX_ITEMS);
        rc = start_tag(x, i, &i);
        if (rc)
            return rc;
    }
    if (x->depth)
        return corrupt(x, n, "unclosed element");
    if (x->val.err || x->arena.err)
        return diag_fail(x->diag, AIM_ERR_NOMEM, "xmp: out of memory");
    return AIM_OK;
}

static void xp_free(xp *x)
{
    free(x->b);
    free(x->a);
    free(x->aigc);
    buf_free(&x->arena);
    buf_free(&x->val);
}

int xmp_read(const char *xmp, size_t n, const char *location, meta_found *f, aim_diag *diag)
{
    if ((!xmp && n) || !location || !f)
        return AIM_ERR_INVALID_ARG;
    xp x;
    memset(&x, 0, sizeof x);
    x.s = xmp ? xmp : "";
    x.n = n;
    x.diag = diag;
    x.f = f;
    x.loc = location;
    int rc = scan(&x);
    xp_free(&x);
    return rc;
}

/* ---- writing --------------------------------------------------------------- */

typedef struct xedit {
    size_t off, del;
    size_t ins_off, ins_len; /* in the scratch buffer */
    size_t seq;
} xedit;

typedef struct xedits {
    xedit e[64];
    size_t n;
    aim_buf ins;
} xedits;

/* Add an edit whose insert text is everything appended to ins since `mark`. */
static int edit(xedits *ed, size_t off, size_t del, size_t mark)
{
    if (ed->n >= sizeof ed->e / sizeof ed->e[0])
        return AIM_ERR_LIMIT;
    xedit *e = &ed->e[ed->n];
    e->off = off;
    e->del = del;
    e->ins_off = mark;
    e->ins_len = ed->ins.len - mark;
    e->seq = ed->n++;
    return AIM_OK;
}

static int edit_cmp(const void *a, const void *b)
{
    const xedit *x = a, *y = b;
    if (x->off != y->off)
        return x->off < y->off ? -1 : 1;
    if (x->del != y->del)
        return x->del < y->del ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Replace a property's value with text (escaped for its form). */
static int set_value(xedits *ed, const char *s, const xprop *p, const char *text, size_t n)
{
    size_t mark = ed->ins.len;
    if (p->empty) {
        buf_putc(&ed->ins, '<');
        buf_put(&ed->ins, s + p->q_off, p->q_len);
        buf_putc(&ed->ins, '>');
        escape(&ed->ins, text, n, 0);
        buf_puts(&ed->ins, "</");
        buf_put(&ed->ins, s + p->q_off, p->q_len);
        buf_putc(&ed->ins, '>');
        return edit(ed, p->whole_off, p->whole_end - p->whole_off, mark);
    }
    escape(&ed->ins, text, n, p->attr);
    return edit(ed, p->val_off, p->val_end - p->val_off, mark);
}

/* Remove a property, with the whitespace that precedes it. */
static int drop(xedits *ed, const char *s, const xprop *p)
{
    if (p->attr)
        return edit(ed, p->ws_off, p->val_end + 1 - p->ws_off, ed->ins.len);
    size_t a = p->whole_off;
    while (a > 0 && is_ws(s[a - 1]))
        a--;
    return edit(ed, a, p->whole_end - a, ed->ins.len);
}

/* <prefix:local> (open) or </prefix:local>. */
static void put_tag(aim_buf *b, const char *prefix, const char *local, int open)
{
    buf_puts(b, open ? "<" : "</");
    buf_puts(b, prefix);
    buf_putc(b, ':');
    buf_puts(b, local);
    buf_putc(b, '>');
}

static void put_props(aim_buf *b, const char *tcp, const char *ipp, const meta_write_req *req,
                      int aigc, int dst, const char *indent)
{
    if (aigc) {
        buf_puts(b, indent);
        put_tag(b, tcp, "AIGC", 1);
        escape(b, req->json, req->json_len, 0);
        put_tag(b, tcp, "AIGC", 0);
    }
    if (dst) {
        buf_puts(b, indent);
        put_tag(b, ipp, "DigitalSourceType", 1);
        escape(b, req->source_type, strlen(req->source_type), 0);
        put_tag(b, ipp, "DigitalSourceType", 0);
    }
}

static void put_decl(aim_buf *b, const char *prefix, const char *ns)
{
    buf_puts(b, " xmlns:");
    buf_puts(b, prefix);
    buf_puts(b, "=\"");
    buf_puts(b, ns);
    buf_putc(b, '"');
}

static int fresh(const meta_write_req *req, aim_buf *out)
{
    buf_puts(out, "<?xpacket begin=\"\xEF\xBB\xBF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n"
                  "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\" x:xmptk=\"aimark " AIM_VERSION_STRING "\">\n"
                  " <rdf:RDF xmlns:rdf=\"" NS_RDF "\">\n"
                  "  <rdf:Description rdf:about=\"\"\n"
                  "    xmlns:TC260=\"" XMP_NS_TC260 "\"");
    if (req->source_type)
        buf_puts(out, "\n    xmlns:Iptc4xmpExt=\"" XMP_NS_IPTC_EXT "\"");
    buf_putc(out, '>');
    put_props(out, "TC260", "Iptc4xmpExt", req, 1, req->source_type != NULL, "\n   ");
    buf_puts(out, "\n  </rdf:Description>\n </rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"w\"?>");
    return out->err;
}

static const char *pick(const char *have, unsigned free_mask, const char *const *cand)
{
    if (have[0])
        return have;
    for (unsigned i = 0; i < N_CANDIDATES; i++)
        if (free_mask & (1u << i))
            return cand[i];
    return NULL;
}

static int plan(xp *x, const meta_write_req *req, xedits *ed)
{
    const char *s = x->s;
    int rc = AIM_OK;
    int need_aigc = x->n_aigc == 0;
    if (!need_aigc) {
        rc = set_value(ed, s, &x->aigc[0], req->json, req->json_len);
        for (size_t k = 1; k < x->n_aigc && !rc; k++)
            rc = drop(ed, s, &x->aigc[k]);
        if (rc)
            return rc;
    }
    int need_dst = 0;
    if (req->source_type) {
        if (x->has_dst)
            rc = set_value(ed, s, &x->dst, req->source_type, strlen(req->source_type));
        else
            need_dst = 1;
        if (rc)
            return rc;
    }
    if (!need_aigc && !need_dst)
        return AIM_OK;
    size_t mark = ed->ins.len;
    if (x->has_desc) {
        const char *tcp = pick(x->tc_prefix, x->tc_free, TC_CANDIDATES);
        const char *ipp = pick(x->iptc_prefix, x->iptc_free, IPTC_CANDIDATES);
        if (!tcp || !ipp)
            return diag_fail(x->diag, AIM_ERR_UNSUPPORTED, "xmp: no free namespace prefix");
        if (need_aigc && !x->tc_prefix[0])
            put_decl(&ed->ins, tcp, XMP_NS_TC260);
        if (need_dst && !x->iptc_prefix[0])
            put_decl(&ed->ins, ipp, XMP_NS_IPTC_EXT);
        if (ed->ins.len > mark && (rc = edit(ed, x->desc_attrs_end, 0, mark)))
            return rc;
        mark = ed->ins.len;
        if (x->desc_empty)
            buf_putc(&ed->ins, '>');
        put_props(&ed->ins, tcp, ipp, req, need_aigc, need_dst, "\n   ");
        if (x->desc_empty) {
            buf_puts(&ed->ins, "\n  </");
            buf_put(&ed->ins, s + x->desc_q_off, x->desc_q_len);
            buf_putc(&ed->ins, '>');
            return edit(ed, x->desc_attrs_end, x->desc_tag_end - x->desc_attrs_end, mark);
        }
        return edit(ed, x->desc_tag_end, 0, mark);
    }
    /* a new rdf:Description: it declares what it uses, so any scope is fine */
    if (x->rdf_empty)
        buf_puts(&ed->ins, ">\n");
    buf_puts(&ed->ins, "  <rdf:Description rdf:about=\"\"");
    if (!x->rdf_prefix_ok)
        put_decl(&ed->ins, "rdf", NS_RDF);
    if (need_aigc)
        put_decl(&ed->ins, "TC260", XMP_NS_TC260);
    if (need_dst)
        put_decl(&ed->ins, "Iptc4xmpExt", XMP_NS_IPTC_EXT);
    buf_putc(&ed->ins, '>');
    put_props(&ed->ins, "TC260", "Iptc4xmpExt", req, need_aigc, need_dst, "\n   ");
    buf_puts(&ed->ins, "\n  </rdf:Description>\n ");
    if (x->rdf_empty) {
        buf_puts(&ed->ins, "</");
        buf_put(&ed->ins, s + x->rdf_q_off, x->rdf_q_len);
        buf_putc(&ed->ins, '>');
        return edit(ed, x->rdf_attrs_end, x->rdf_tag_end - x->rdf_attrs_end, mark);
    }
    return edit(ed, x->rdf_close_off, 0, mark);
}

int xmp_write(const char *old, size_t old_n, const meta_write_req *req, aim_buf *out,
              aim_diag *diag)
{
    if (!req || !req->json || !out || (!old && old_n))
        return AIM_ERR_INVALID_ARG;
    if (!old || old_n == 0)
        return fresh(req, out);
    xp x;
    memset(&x, 0, sizeof x);
    x.s = old;
    x.n = old_n;
    x.diag = diag;
    xedits ed;
    memset(&ed, 0, sizeof ed);
    int rc = scan(&x);
    if (rc)
        goto done;
    if (!x.seen_root) {
        if (x.junk)
            rc = diag_fail(diag, AIM_ERR_CORRUPT, "xmp: packet holds no XML element");
        else
            rc = fresh(req, out); /* an empty packet: nothing to keep */
        goto done;
    }
    if (!x.has_rdf) {
        rc = diag_fail(diag, AIM_ERR_CORRUPT, "xmp: packet has no rdf:RDF element");
        goto done;
    }
    rc = plan(&x, req, &ed);
    if (!rc && ed.ins.err)
        rc = ed.ins.err;
    if (rc)
        goto done;
    qsort(ed.e, ed.n, sizeof ed.e[0], edit_cmp);
    /* growth is taken out of the trailing padding, keeping one byte of it */
    size_t add = 0, del = 0;
    for (size_t k = 0; k < ed.n; k++) {
        add += ed.e[k].ins_len;
        del += ed.e[k].del;
    }
    size_t pad_cut = 0, pad_at = 0;
    if (add > del && x.has_end_pi && x.end_pi_off >= x.root_end) {
        size_t a = x.end_pi_off;
        while (a > x.root_end && is_ws(old[a - 1]))
            a--;
        size_t pad = x.end_pi_off - a;
        if (pad > 1) {
            pad_cut = add - del < pad - 1 ? add - del : pad - 1;
            pad_at = a + 1;
        }
    }
    size_t pos = 0;
    for (size_t k = 0; k <= ed.n; k++) {
        size_t off = k < ed.n ? ed.e[k].off : old_n;
        if (off < pos || off > old_n) {
            rc = diag_fail(diag, AIM_ERR_CORRUPT, "xmp: overlapping edits");
            goto done;
        }
        if (pad_cut && pad_at >= pos && pad_at + pad_cut <= off) {
            buf_put(out, old + pos, pad_at - pos);
            pos = pad_at + pad_cut;
        }
        buf_put(out, old + pos, off - pos);
        if (k == ed.n)
            break;
        buf_put(out, ed.ins.p + ed.e[k].ins_off, ed.e[k].ins_len);
        pos = off + ed.e[k].del;
    }
    rc = out->err;
done:
    buf_free(&ed.ins);
    xp_free(&x);
    return rc;
}
