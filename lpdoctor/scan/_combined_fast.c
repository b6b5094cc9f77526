/*
 * lpdoctor.scan._combined_fast: the fast path for the commonest access logs: nginx `combined` alone, with
 * the ` $request_time $upstream_response_time $upstream_status` tail, or with the samples' key=value tail
 * (formats nginx-combined, nginx-timing and nginx-kv); Apache's combined + %D (apache-combined-D); HAProxy's
 * option httplog (haproxy-httplog); JSON lines (nginx-json, caddy-json, traefik-json, envoy-json); AWS ALB;
 * Sōzune.
 *
 * It decides nothing. It only checks that a line has exactly the common shape, and groups the lines that
 * lpdoctor's own Python code would treat alike: same route (segment templates come from
 * lpdoctor.scan.routes.segment_template, called once per distinct segment), same method, status and
 * upstream status, same requested hold (from a Python callback), keeping every group's first line (the
 * Python parser reads it) and how many lines had each request and upstream time. A line of any other shape
 * stops the scan at that line, and the Python parser reads it. analysis/fastpath.py turns the groups back
 * into what the Python path gives; tests/test_fastpath.py checks that both give the same aggregate.
 *
 * The only rules repeated here from Python are mechanical: what the combined regex (logformats/nginx_access.py
 * _COMBINED, split_request, _SIMPLE_TIMING_TAIL) accepts, narrowed so that anything unusual goes back to
 * Python; how routes.split_target and routes.normalize_path cut a target into segments; and the all-digits
 * segment shortcut of normalize_path ("{id}").
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#include <math.h>
#if defined(__SSE2__) && defined(__GNUC__)
#include <emmintrin.h> /* SSE2 is in every x86-64 CPU; elsewhere the portable 8-byte scan does the work */
#define JSON_SSE2 1
#endif
#if defined(__GNUC__)
#define HOT_INLINE inline __attribute__((always_inline)) /* the JSON walker's per-value calls, in its loop */
#else
#define HOT_INLINE inline
#endif

#define MAX_SEGMENTS 12            /* routes.MAX_SEGMENTS: more parts than this go to Python whole */
#define MAX_DIGIT_ID 41            /* routes.normalize_path: all-digit segments up to this length are {id} */
#define MAX_FAST_LINE 65536        /* longer lines go to the Python parser */
#define SEGMENT_CACHE_LIMIT 32768 /* distinct segments (and cut queries) remembered before starting over */
#define ROUTE_LIMIT 8192          /* routes and templates remembered, checked when the groups are taken */
#define MAX_METHODS 64
#define GROUP_LIMIT 65536          /* groups (and Python records) before the caller must take() them */
#define VALUE_LIMIT 131072        /* distinct (group, time) counts before the caller must take() them */

enum { SCAN_END = 0, SCAN_PYTHON = 1, SCAN_FULL = 2 };
/* What follows "$http_user_agent": nothing (nginx-combined), " $request_time $upstream_response_time
 * $upstream_status" (nginx-timing), or the samples' key=value tail (nginx-kv):
 * ' rt=$request_time uct="$upstream_connect_time" uht="$upstream_header_time" urt="$upstream_response_time"
 * us="$upstream_status" ua="$upstream_addr"', every value one upstream try. */
enum { TAIL_NONE = 0, TAIL_POSITIONAL = 1, TAIL_KV = 2, TAIL_MICROS = 3, HAPROXY = 4, JSON = 5, ALB = 6, SOZUNE = 7,
       FIELDS = 8, NGINX_ERROR = 9, HAPROXY_TCP = 10, CADDY_RUNTIME = 11 };
#define MAX_QUIET_LINE 60000 /* NGINX_ERROR: a longer line goes to the Python parser (it cuts its message at 65 536) */
#define MAX_NEEDLES 32
/* FIELDS: a text line of fixed literals between fields (format nginx-log_format:*, a user's log_format; the
 * layout logformats/base.py TextLayout describes), read by parse_fields_line with what the reader does with each
 * field (the J_* roles of JSON keys, and J_CLF, J_DECIMAL). */
/* SOZUNE: Sōzune's text access line (format sozune, logformats/sozune_log.py), read by parse_sozune_line, and its
 * JSON access line (a line starting with '{'), walked with a key table by parse_sozune_json_line. */
/* ALB: an AWS ALB access-log line (format aws-alb, logformats/alb_log.py), read by parse_alb_line. */
/* JSON: one flat JSON object a line (format nginx-json, logformats/nginx_access.py _json_parser), read by
 * parse_json_line with a table of what the reader does with each key (json_keys; any other key is skipped,
 * its value still checked to be JSON). */
/* HAPROXY: not combined at all: HAProxy's `option httplog` line, raw or behind an RFC 3164 syslog header
 * (format haproxy-httplog, logformats/haproxy_log.py), read by parse_haproxy_line. HAPROXY_TCP: its `option
 * tcplog` line (mode tcp, format haproxy-tcplog), read by parse_haproxy_tcp_line: no request; its route is the
 * stream, "(tcp frontend/backend)", as ScanAggregate.add_request names it (stream_route). */
/* TAIL_MICROS: Apache httpd's combined + " %D" (or " %T/%D"), format apache-combined-D
 * (logformats/apache_log.py): the request time in microseconds, and %t is when the request arrived, so a line's
 * time is its %t plus its duration. Its lines may hold backslash escapes; a line with a backslash, a control
 * character or a byte outside ASCII goes to Python whole. */

/* ------------------------------------------------------------------------------------------------ hashing */

static inline uint64_t mix64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static uint64_t hash_bytes(const unsigned char *p, Py_ssize_t n) {
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (uint64_t)n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = mix64(h ^ w);
        p += 8;
        n -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, p, (size_t)n);
    return mix64(h ^ w ^ 0x5bd1e995ULL);
}

/* ------------------------------------------------------------------------- a map of int64 -> count */

/* A count per key, with the first and last time (epoch seconds; +inf/-inf: none) of the lines counted. */
typedef struct {
    int64_t *keys;
    int64_t *counts;
    double *tmin, *tmax;
    Py_ssize_t cap; /* a power of two, or 0: then the one key so far (if len is 1) is kept inline */
    Py_ssize_t len;
    int64_t one_key, one_count;
    double one_tmin, one_tmax;
    struct CellMapS *cells; /* durations_add: once folding, the foldable values by cell (NULL: not folding) */
} CountMap;

static void cellmap_free(struct CellMapS *c);

#define EMPTY_KEY INT64_MIN

static int countmap_grow(CountMap *m) {
    Py_ssize_t cap = m->cap ? m->cap * 2 : 8;
    int64_t *keys = PyMem_Malloc(sizeof(int64_t) * (size_t)cap);
    int64_t *counts = PyMem_Malloc(sizeof(int64_t) * (size_t)cap);
    double *tmin = PyMem_Malloc(sizeof(double) * (size_t)cap);
    double *tmax = PyMem_Malloc(sizeof(double) * (size_t)cap);
    if (!keys || !counts || !tmin || !tmax) {
        PyMem_Free(keys);
        PyMem_Free(counts);
        PyMem_Free(tmin);
        PyMem_Free(tmax);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < cap; i++) keys[i] = EMPTY_KEY;
    for (Py_ssize_t i = 0; i < m->cap; i++) {
        if (m->keys[i] == EMPTY_KEY) continue;
        Py_ssize_t j = (Py_ssize_t)(mix64((uint64_t)m->keys[i]) & (uint64_t)(cap - 1));
        while (keys[j] != EMPTY_KEY) j = (j + 1) & (cap - 1);
        keys[j] = m->keys[i];
        counts[j] = m->counts[i];
        tmin[j] = m->tmin[i];
        tmax[j] = m->tmax[i];
    }
    PyMem_Free(m->keys);
    PyMem_Free(m->counts);
    PyMem_Free(m->tmin);
    PyMem_Free(m->tmax);
    m->keys = keys;
    m->counts = counts;
    m->tmin = tmin;
    m->tmax = tmax;
    m->cap = cap;
    return 0;
}

static inline void span_note(double *lo, double *hi, double t) {
    if (t < *lo) *lo = t;
    if (t > *hi) *hi = t;
}

static inline void span_merge(double *lo, double *hi, double a, double b) {
    if (a < *lo) *lo = a;
    if (b > *hi) *hi = b;
}

/* Add n lines with `key`, the first and last of them logged at lo and hi (+inf and -inf: no time). Returns 1
 * when the key is new, 0 when it was there, -1 on an error. Most groups hold one value: no table. */
static int countmap_add_span(CountMap *m, int64_t key, int64_t n, double lo, double hi) {
    if (m->cap == 0) {
        if (m->len == 0) {
            m->one_key = key;
            m->one_count = n;
            m->one_tmin = lo;
            m->one_tmax = hi;
            m->len = 1;
            return 1;
        }
        if (m->one_key == key) {
            m->one_count += n;
            span_merge(&m->one_tmin, &m->one_tmax, lo, hi);
            return 0;
        }
        if (countmap_grow(m) < 0) return -1;
        Py_ssize_t j = (Py_ssize_t)(mix64((uint64_t)m->one_key) & (uint64_t)(m->cap - 1));
        m->keys[j] = m->one_key;
        m->counts[j] = m->one_count;
        m->tmin[j] = m->one_tmin;
        m->tmax[j] = m->one_tmax;
    }
    if ((m->len + 1) * 4 > m->cap * 3 && countmap_grow(m) < 0) return -1;
    Py_ssize_t j = (Py_ssize_t)(mix64((uint64_t)key) & (uint64_t)(m->cap - 1));
    while (m->keys[j] != EMPTY_KEY) {
        if (m->keys[j] == key) {
            m->counts[j] += n;
            span_merge(&m->tmin[j], &m->tmax[j], lo, hi);
            return 0;
        }
        j = (j + 1) & (m->cap - 1);
    }
    m->keys[j] = key;
    m->counts[j] = n;
    m->tmin[j] = lo;
    m->tmax[j] = hi;
    m->len++;
    return 1;
}

/* Add n lines with `key` logged at t (NAN: no time). */
static inline int countmap_add_n(CountMap *m, int64_t key, int64_t n, double t) {
    return t == t ? countmap_add_span(m, key, n, t, t) : countmap_add_span(m, key, n, INFINITY, -INFINITY);
}

static inline int countmap_add(CountMap *m, int64_t key, double t) { return countmap_add_n(m, key, 1, t); }

static void countmap_free(CountMap *m) {
    cellmap_free(m->cells);
    m->cells = NULL;
    PyMem_Free(m->keys);
    PyMem_Free(m->counts);
    PyMem_Free(m->tmin);
    PyMem_Free(m->tmax);
    m->keys = m->counts = NULL;
    m->tmin = m->tmax = NULL;
    m->cap = m->len = 0;
}

/* The i-th entry (in table order) of the map, for i in [0, cap) or the inline one: 0 when slot i is empty. */
static int countmap_entry(const CountMap *m, Py_ssize_t i, int64_t *key, int64_t *count, double *tmin, double *tmax) {
    if (m->cap == 0) {
        if (i != 0 || m->len != 1) return 0;
        *key = m->one_key;
        *count = m->one_count;
        *tmin = m->one_tmin;
        *tmax = m->one_tmax;
        return 1;
    }
    if (m->keys[i] == EMPTY_KEY) return 0;
    *key = m->keys[i];
    *count = m->counts[i];
    *tmin = m->tmin[i];
    *tmax = m->tmax[i];
    return 1;
}

static PyObject *time_or_none(double t) {
    if (t == INFINITY || t == -INFINITY || t != t) Py_RETURN_NONE;
    return PyFloat_FromDouble(t);
}

/* (v, n, first time or None, last time or None): v the int iv, or the float v when !is_int */
static PyObject *entry_item(double v, int is_int, int64_t iv, int64_t n, double lo, double hi) {
    PyObject *a = time_or_none(lo), *b = a ? time_or_none(hi) : NULL;
    PyObject *item = NULL;
    if (b) item = is_int ? Py_BuildValue("(LLOO)", (long long)iv, (long long)n, a, b)
                         : Py_BuildValue("(dLOO)", v, (long long)n, a, b);
    Py_XDECREF(a);
    Py_XDECREF(b);
    return item;
}

/* [(key, count), ...], or with `times` [(key, count, first time, last time), ...] (None: no line had a time).
 * In table order: Python sorts what it needs. */
static PyObject *countmap_items(const CountMap *m, int times) {
    PyObject *out = PyList_New(m->len);
    if (!out) return NULL;
    Py_ssize_t k = 0, n = m->cap ? m->cap : 1;
    for (Py_ssize_t i = 0; i < n; i++) {
        int64_t key, count;
        double lo, hi;
        if (!countmap_entry(m, i, &key, &count, &lo, &hi)) continue;
        PyObject *item = times ? entry_item(0, 1, key, count, lo, hi)
                               : Py_BuildValue("(LL)", (long long)key, (long long)count);
        if (!item) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SET_ITEM(out, k++, item);
    }
    return out;
}

/* ------------------------------------------------------ a group's many durations, folded for Python */

/* A group whose lines have more distinct durations than this (nanosecond durations: nearly every line's) folds
 * them as they come (durations_add) and hands them over folded (folded_items): what Python does with each is
 * the same for every value of one cell. */
#define FOLD_MIN 48
#define FOLD_MAX_VALUE (1LL << 50) /* values up to this (13 days in ns) are folded */

/* histogram.bin_key, for 0 <= s (Python's int() truncates as the cast does for s >= 0) */
static int64_t hist_bin(double s) {
    if (s < 1.0) return (int64_t)(s * 1000.0 + 0.5);
    if (s < 10.0) return (int64_t)(s * 100.0 + 0.5) * 10;
    if (s < 100.0) return (int64_t)(s * 10.0 + 0.5) * 100;
    if (s < 3600.0) return (int64_t)(s + 0.5) * 1000;
    if (s < 10000000.0) return (int64_t)(s / 10.0 + 0.5) * 10000;
    return 10000000000LL;
}

/* time_buckets.failure_bin, for 0 <= s <= max_s (MAX_REQUEST_S: k stays below 10) */
static int64_t fail_bin(double s) {
    if (s < 600.0) return (int64_t)(s + 0.5);
    if (s < 3600.0) return (int64_t)(s / 10.0 + 0.5) * 10;
    int k = 0;
    while (k < 40 && s >= 7200.0 * (double)(1LL << k)) k++;
    return 3600LL << k;
}

/* The contract (what Python gets of a group's durations, as countmap_items(m, 1) would give them but folded):
 * Python puts a duration (v / per_second seconds, when 0 <= it <= max_s) in the histogram bin bin_key(seconds)
 * and the failure span of failure_bin(seconds), and keeps the smallest and the largest (Histogram.min, .max)
 * and their sum (.total, which no report reads). Both bins are non-decreasing in v, so the values of one
 * (bin, failure bin) cell are a run of the sorted values; a run of more than three distinct values is handed
 * over as its smallest, its largest (each with its count and first and last time), and the rest as one entry:
 * their count, first and last time, and their mean (a float, clamped to the rest's range, so in the same cell:
 * the same bins, the same count, min and max; only the total's last bits may differ, and not while the sum of
 * the rest's values is below 2**53, where every double sum is exact). A run of up to three is handed over as it
 * is. Values without a duration (v < 0), out of range or above FOLD_MAX_VALUE are handed over as they are (they
 * stay in the CountMap). The items go sorted by value. */
typedef struct {
    int64_t v, n;
    double lo, hi;
} Entry;

typedef struct {
    int64_t hb, fb; /* the cell: (hist_bin, fail_bin); hb < 0: an empty slot */
    Entry least, most; /* its smallest and largest value (most.n == 0: it has one value so far) */
    int64_t rest_n, rest_lo, rest_hi; /* the others: how many lines, their smallest and largest value */
    double rest_sum, rest_tlo, rest_thi; /* ... the sum of their values, their first and last time */
} Cell;

typedef struct CellMapS {
    Cell *cells;
    Py_ssize_t cap, len; /* cap a power of two */
} CellMap;

static void cellmap_free(CellMap *c) {
    if (!c) return;
    PyMem_Free(c->cells);
    PyMem_Free(c);
}

static inline uint64_t cell_hash(int64_t hb, int64_t fb) {
    return mix64((uint64_t)hb * 0x9e3779b97f4a7c15ULL ^ (uint64_t)fb);
}

static int cellmap_grow(CellMap *c) {
    Py_ssize_t cap = c->cap ? c->cap * 2 : 64;
    Cell *cells = PyMem_Malloc(sizeof(Cell) * (size_t)cap);
    if (!cells) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < cap; i++) cells[i].hb = -1;
    for (Py_ssize_t i = 0; i < c->cap; i++) {
        if (c->cells[i].hb < 0) continue;
        Py_ssize_t j = (Py_ssize_t)(cell_hash(c->cells[i].hb, c->cells[i].fb) & (uint64_t)(cap - 1));
        while (cells[j].hb >= 0) j = (j + 1) & (cap - 1);
        cells[j] = c->cells[i];
    }
    PyMem_Free(c->cells);
    c->cells = cells;
    c->cap = cap;
    return 0;
}

static inline void entry_merge(Entry *e, int64_t n, double lo, double hi) {
    e->n += n;
    if (lo < e->lo) e->lo = lo;
    if (hi > e->hi) e->hi = hi;
}

static inline void cell_rest(Cell *x, const Entry *e) {
    if (x->rest_n == 0) {
        x->rest_lo = x->rest_hi = e->v;
        x->rest_tlo = INFINITY;
        x->rest_thi = -INFINITY;
    } else {
        if (e->v < x->rest_lo) x->rest_lo = e->v;
        if (e->v > x->rest_hi) x->rest_hi = e->v;
    }
    x->rest_n += e->n;
    x->rest_sum += (double)e->v * (double)e->n;
    if (e->lo < x->rest_tlo) x->rest_tlo = e->lo;
    if (e->hi > x->rest_thi) x->rest_thi = e->hi;
}

/* Count n lines of value v (first and last time lo, hi; +inf, -inf: none) in the cell (hb, fb): 1 when the cell
 * is new, 0 when it was there, -1 on an error. */
static int cellmap_add(CellMap *c, int64_t hb, int64_t fb, int64_t v, int64_t n, double lo, double hi) {
    if ((c->len + 1) * 4 > c->cap * 3 && cellmap_grow(c) < 0) return -1;
    Py_ssize_t j = (Py_ssize_t)(cell_hash(hb, fb) & (uint64_t)(c->cap - 1));
    Cell *x;
    for (;; j = (j + 1) & (c->cap - 1)) {
        x = &c->cells[j];
        if (x->hb < 0) {
            memset(x, 0, sizeof *x);
            x->hb = hb;
            x->fb = fb;
            x->least = (Entry){v, n, lo, hi};
            c->len++;
            return 1;
        }
        if (x->hb == hb && x->fb == fb) break;
    }
    Entry e = {v, n, lo, hi};
    if (v == x->least.v) {
        entry_merge(&x->least, n, lo, hi);
    } else if (x->most.n == 0) { /* a second value */
        if (v > x->least.v) {
            x->most = e;
        } else {
            x->most = x->least;
            x->least = e;
        }
    } else if (v == x->most.v) {
        entry_merge(&x->most, n, lo, hi);
    } else if (v < x->least.v) {
        cell_rest(x, &x->least);
        x->least = e;
    } else if (v > x->most.v) {
        cell_rest(x, &x->most);
        x->most = e;
    } else {
        cell_rest(x, &e);
    }
    return 0;
}

/* The cell of value v (per_second units a second), or 0 when it is not folded. */
static inline int fold_cell(int64_t v, int64_t per_second, double max_s, int64_t *hb, int64_t *fb) {
    if (v < 0 || v > FOLD_MAX_VALUE) return 0;
    double sec = (double)v / (double)per_second;
    if (!(sec >= 0.0 && sec <= max_s)) return 0;
    *hb = hist_bin(sec);
    *fb = fail_bin(sec);
    return 1;
}

/* Start folding m: its foldable values go to cells, the others stay. 0, or -1 on an error. */
static int countmap_fold(CountMap *m, int64_t per_second, double max_s) {
    CellMap *c = PyMem_Calloc(1, sizeof(CellMap));
    if (!c) {
        PyErr_NoMemory();
        return -1;
    }
    CountMap kept;
    memset(&kept, 0, sizeof kept);
    Py_ssize_t n = m->cap ? m->cap : 1;
    for (Py_ssize_t i = 0; i < n; i++) {
        int64_t key, count, hb, fb;
        double lo, hi;
        if (!countmap_entry(m, i, &key, &count, &lo, &hi)) continue;
        int bad;
        if (fold_cell(key, per_second, max_s, &hb, &fb)) {
            bad = cellmap_add(c, hb, fb, key, count, lo, hi) < 0;
        } else {
            bad = countmap_add_span(&kept, key, count, lo, hi) < 0;
        }
        if (bad) {
            countmap_free(&kept);
            cellmap_free(c);
            return -1;
        }
    }
    countmap_free(m);
    *m = kept;
    m->cells = c;
    return 0;
}

/* countmap_add(m, v, t) for a group's durations, folding them once there are more than FOLD_MIN distinct ones
 * (per_second > 0). 1 when a new entry (value or cell) was made, 0 when not, -1 on an error. */
static int durations_add(CountMap *m, int64_t v, double t, int64_t per_second, double max_s) {
    int64_t hb, fb;
    if (m->cells && fold_cell(v, per_second, max_s, &hb, &fb))
        return cellmap_add(m->cells, hb, fb, v, 1, t == t ? t : INFINITY, t == t ? t : -INFINITY);
    int added = countmap_add_n(m, v, 1, t);
    if (added > 0 && !m->cells && per_second > 0 && m->len > FOLD_MIN && countmap_fold(m, per_second, max_s) < 0)
        return -1;
    return added;
}

/* Append item (a new reference, or NULL after an error) to out: -1 on an error. */
static int put_item(PyObject *out, PyObject *item) {
    int bad = !item || PyList_Append(out, item) < 0;
    Py_XDECREF(item);
    return bad ? -1 : 0;
}

typedef struct {
    Entry e;
    double mean; /* a folded rest: its mean (e.v its smallest value, for the order); NAN: e as it is */
} Item;

static int item_cmp(const void *a, const void *b) {
    int64_t x = ((const Item *)a)->e.v, y = ((const Item *)b)->e.v;
    return (x > y) - (x < y);
}

/* The items of a group's durations (the contract above), m folding or not. */
static PyObject *folded_items(const CountMap *m) {
    if (!m->cells) return countmap_items(m, 1);
    const CellMap *c = m->cells;
    Item *items = PyMem_Malloc(sizeof(Item) * (size_t)(m->len + 3 * c->len + 1));
    if (!items) return PyErr_NoMemory();
    Py_ssize_t k = 0, n = m->cap ? m->cap : 1;
    for (Py_ssize_t i = 0; i < n; i++)
        if (countmap_entry(m, i, &items[k].e.v, &items[k].e.n, &items[k].e.lo, &items[k].e.hi)) items[k++].mean = NAN;
    for (Py_ssize_t i = 0; i < c->cap; i++) {
        const Cell *x = &c->cells[i];
        if (x->hb < 0) continue;
        items[k].e = x->least;
        items[k++].mean = NAN;
        if (x->rest_n > 0) {
            items[k].e = (Entry){x->rest_lo, x->rest_n, x->rest_tlo, x->rest_thi};
            if (x->rest_lo == x->rest_hi) { /* a run of three: each value as it is */
                items[k++].mean = NAN;
            } else {
                double mean = x->rest_sum / (double)x->rest_n, first = (double)x->rest_lo, last = (double)x->rest_hi;
                items[k++].mean = mean < first ? first : mean > last ? last : mean;
            }
        }
        if (x->most.n > 0) {
            items[k].e = x->most;
            items[k++].mean = NAN;
        }
    }
    qsort(items, (size_t)k, sizeof(Item), item_cmp);
    PyObject *out = PyList_New(0);
    for (Py_ssize_t i = 0; out && i < k; i++) {
        const Item *x = &items[i];
        int whole = x->mean != x->mean;
        if (put_item(out, entry_item(x->mean, whole, x->e.v, x->e.n, x->e.lo, x->e.hi)) < 0) Py_CLEAR(out);
    }
    PyMem_Free(items);
    return out;
}

/* ------------------------------------------------------------------ a group's requests over time */

/* scan/time_buckets.py Timeline for one outcome, kept the same way (so Timeline.merge takes it exactly):
 * buckets of `width` seconds (a power of two) that never span more than TIMELINE_BUCKETS from the first to the
 * last, the width doubling when they would. */
#define TIMELINE_BUCKETS 240

typedef struct {
    int64_t width, lo, hi;
    int any;
    CountMap buckets;
} Timeline;

static inline int64_t floor_div(int64_t a, int64_t b) { /* Python's a // b, b > 0 */
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

static int timeline_fit(Timeline *tl) {
    int64_t factor = 1;
    while (floor_div(tl->hi, factor) - floor_div(tl->lo, factor) >= TIMELINE_BUCKETS) factor *= 2;
    if (factor == 1) return 0;
    CountMap merged;
    memset(&merged, 0, sizeof merged);
    Py_ssize_t n = tl->buckets.cap ? tl->buckets.cap : 1;
    for (Py_ssize_t i = 0; i < n; i++) {
        int64_t key, count;
        double lo, hi;
        if (!countmap_entry(&tl->buckets, i, &key, &count, &lo, &hi)) continue;
        if (countmap_add_n(&merged, floor_div(key, factor), count, NAN) < 0) {
            countmap_free(&merged);
            return -1;
        }
    }
    countmap_free(&tl->buckets);
    tl->buckets = merged;
    tl->width *= factor;
    tl->lo = floor_div(tl->lo, factor);
    tl->hi = floor_div(tl->hi, factor);
    return 0;
}

static int timeline_add(Timeline *tl, double t) {
    if (tl->width == 0) tl->width = 1;
    int64_t idx = (int64_t)floor(t / (double)tl->width);
    if (!tl->any) {
        tl->lo = tl->hi = idx;
        tl->any = 1;
    } else if (idx < tl->lo || idx > tl->hi) {
        if (idx < tl->lo) tl->lo = idx;
        if (idx > tl->hi) tl->hi = idx;
        if (tl->hi - tl->lo >= TIMELINE_BUCKETS) {
            if (timeline_fit(tl) < 0) return -1;
            idx = (int64_t)floor(t / (double)tl->width);
        }
    }
    return countmap_add_n(&tl->buckets, idx, 1, NAN) < 0 ? -1 : 0;
}

/* --------------------------------------------------------------------- segment bytes -> template id */

typedef struct {
    uint64_t hash;
    unsigned char *key; /* NULL: empty slot */
    Py_ssize_t len;
    int32_t id;
} SegSlot;

typedef struct {
    SegSlot *slots;
    Py_ssize_t cap, len;
} SegCache;

static void segcache_clear(SegCache *c) {
    for (Py_ssize_t i = 0; i < c->cap; i++) PyMem_Free(c->slots[i].key);
    PyMem_Free(c->slots);
    c->slots = NULL;
    c->cap = c->len = 0;
}

static int segcache_grow(SegCache *c) {
    Py_ssize_t cap = c->cap ? c->cap * 2 : 4096;
    SegSlot *slots = PyMem_Calloc((size_t)cap, sizeof(SegSlot));
    if (!slots) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < c->cap; i++) {
        SegSlot *s = &c->slots[i];
        if (!s->key) continue;
        Py_ssize_t j = (Py_ssize_t)(s->hash & (uint64_t)(cap - 1));
        while (slots[j].key) j = (j + 1) & (cap - 1);
        slots[j] = *s;
    }
    PyMem_Free(c->slots);
    c->slots = slots;
    c->cap = cap;
    return 0;
}

/* Where `key` is, or goes, in the cache (started over when full): the slot's index, with *found set when it
 * holds `key` already. -1 on error. */
static Py_ssize_t segcache_slot(SegCache *c, const unsigned char *key, Py_ssize_t n, uint64_t *hash, int *found) {
    if (c->len >= SEGMENT_CACHE_LIMIT) segcache_clear(c);
    if ((c->len + 1) * 2 > c->cap && segcache_grow(c) < 0) return -1;
    uint64_t h = hash_bytes(key, n);
    Py_ssize_t j = (Py_ssize_t)(h & (uint64_t)(c->cap - 1));
    *hash = h;
    *found = 0;
    while (c->slots[j].key) {
        SegSlot *slot = &c->slots[j];
        if (slot->hash == h && slot->len == n && memcmp(slot->key, key, (size_t)n) == 0) {
            *found = 1;
            return j;
        }
        j = (j + 1) & (c->cap - 1);
    }
    return j;
}

/* Fill the empty slot j that segcache_slot gave for `key`. */
static int segcache_store(SegCache *c, Py_ssize_t j, uint64_t h, const unsigned char *key, Py_ssize_t n, int32_t id) {
    unsigned char *copy = PyMem_Malloc((size_t)(n ? n : 1));
    if (!copy) {
        PyErr_NoMemory();
        return -1;
    }
    memcpy(copy, key, (size_t)n);
    c->slots[j].hash = h;
    c->slots[j].key = copy;
    c->slots[j].len = n;
    c->slots[j].id = id;
    c->len++;
    return 0;
}

/* ------------------------------------------------------------------------------------------ routes */

typedef struct {
    uint64_t hash;
    int32_t nparts;
    int32_t ids[MAX_SEGMENTS + 1];
    int32_t route; /* -1: empty slot */
} RouteSlot;

typedef struct {
    PyObject *text; /* the route, as normalize_path writes it */
    int32_t empty_query_hold; /* hold id for a request with no query; -2: not asked yet */
    PyObject *names; /* tuple of bytes: the query parameters the hold depends on; NULL: not asked yet */
    uint64_t present; /* bit k: only whether names[k]'s value is empty matters (hold_present) */
    int refused;     /* the aggregate keeps no stats of its own for it (close_routes): its lines go to OVERFLOW */
    int reported;    /* ... and its text went to the refused list */
} Route;

/* The route of a group whose lines' routes the aggregate turned away at its cap: ScanAggregate puts them in
 * its overflow bucket, without a hold, whatever their route, so they group by everything else. */
#define OVERFLOW_ROUTE (-1)

/* ------------------------------------------------------------------------------------------ groups */

typedef struct {
    int32_t route, method, status, upstream_status, hold;
    int32_t no_header; /* key=value tail: uht="-" (the upstream sent no header); 0 otherwise */
    int32_t timed;     /* the lines state a time (within MAX_TIME): their time facts are kept */
    int32_t extra_len; /* HAProxy: the termination state and the captured request headers, kept in Group.extra */
    uint64_t extra_hash;
} GroupKey;

typedef struct {
    GroupKey key;
    PyObject *first; /* the group's first line (bytes), or, for a Python record, the record itself */
    PyObject *extra; /* bytes: the rest of the key (GroupKey.extra_len) */
    int is_record;
    long long first_line;
    long long count;
    CountMap request_ms;  /* $request_time in ms -> lines */
    CountMap upstream_ms; /* $upstream_response_time in ms (-1 for "-") -> lines */
    double tmin, tmax;    /* the first and last time its lines were logged */
    Timeline timeline;    /* its lines over time */
} Group;

typedef struct {
    uint64_t hash;
    Py_ssize_t group; /* -1: empty slot */
} GroupSlot;

/* -------------------------------------------------------------------------------------- the scanner */

typedef struct {
    PyObject_HEAD
    PyObject *segment_template; /* str -> str */
    PyObject *route_template;   /* str -> str, for paths not cut here */
    PyObject *hold_key;         /* (route str, query str) -> int */
    PyObject *hold_names;       /* route str -> the parameter names hold_key reads (iterable of str) */
    PyObject *hold_present;     /* route str -> those of them whose value it reads only as empty or not; or None */
    SegCache holds;             /* route id + the query cut to those parameters -> hold id */
    SegCache streams;           /* HAPROXY_TCP: "(tcp frontend/backend)" -> route id */
    int timing; /* TAIL_NONE, TAIL_POSITIONAL or TAIL_KV */
    SegCache segs;
    SegCache shapes;            /* a segment with its digits made "0" -> template id, for digit-free templates */
    PyObject *templates;   /* dict: template str -> id */
    PyObject *template_list; /* list: id -> template str */
    int32_t id_template; /* id of "{id}" */
    int32_t uuid_template, hash_template, token_template; /* ids of "{uuid}", "{hash}", "{token}"; -1: not yet */
    int32_t empty_template;
    PyObject *whole_routes; /* dict: route str -> route id, for routes from route_template */
    PyObject *admitted;     /* NULL until close_routes(): then route str -> whether the aggregate keeps it */
    PyObject *refused_list; /* list of the refused routes' texts since the last refused() call, or NULL */
    RouteSlot *route_slots;
    Py_ssize_t route_cap, route_slot_len;
    Route *routes;
    Py_ssize_t routes_len, routes_cap;
    char methods[MAX_METHODS][21];
    int method_len[MAX_METHODS];
    int n_methods;
    Group *groups;
    Py_ssize_t groups_len, groups_cap;
    Py_ssize_t taken; /* groups take(limit) has handed over so far; scanning waits until every one is */
    GroupSlot *group_slots;
    Py_ssize_t group_slot_cap;
    Py_ssize_t values; /* entries in all the groups' count maps */
    /* Time: the window (--since/--until), and what the lines since the last take() said of it. */
    double since, until, max_time;
    int has_since, has_until;
    long long outside, outside_timed; /* lines the window left out; those of them with a duration */
    double seen_lo, seen_hi;          /* the first and last time of every line read (the inputs' time range) */
    struct JsonKeyS *json_keys;       /* JSON: what the reader does with each key */
    struct JsonMemoS *json_memo;      /* JSON: the keys of the last lines, by their place (json_key) */
    int n_json_keys, json_fold_case, json_exact_keys;
    int16_t json_bucket[128];
    struct TextLayoutS *layouts;      /* FIELDS: the format's layouts, tried in order */
    int n_layouts;
    int64_t per_second;               /* the durations' units a second (0: never fold them, durations_add) */
    double max_duration;              /* MAX_REQUEST_S: longer durations are not in the histogram */
    unsigned char stamp[64];          /* the last $time_local read, and its time */
    Py_ssize_t stamp_len;
    double stamp_time;
    int discover;                     /* discover(): lines only make their routes; no groups, no holds */
    /* NGINX_ERROR: a line holding one of these goes to the Python parser (nginx_error.PYTHON_NEEDLES); any other
     * line with the prefix is an event that adds only its time (quiet, counted until quiet() is called) */
    PyObject *needles;                /* tuple of bytes, or NULL */
    const char *needle[MAX_NEEDLES];
    Py_ssize_t needle_len[MAX_NEEDLES];
    int n_needles;
    long long quiet;
} Scanner;

static int32_t template_id(Scanner *s, PyObject *template) {
    PyObject *id = PyDict_GetItemWithError(s->templates, template);
    if (id) return (int32_t)PyLong_AsLong(id);
    if (PyErr_Occurred()) return -1;
    Py_ssize_t n = PyList_GET_SIZE(s->template_list);
    PyObject *num = PyLong_FromSsize_t(n);
    if (!num) return -1;
    int bad = PyDict_SetItem(s->templates, template, num) < 0 || PyList_Append(s->template_list, template) < 0;
    Py_DECREF(num);
    return bad ? -1 : (int32_t)n;
}

static int has_ascii_digit(PyObject *text) {
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c >= '0' && c <= '9') return 1;
    }
    return 0;
}

#define MAX_SHAPE 256 /* longer segments are looked up as they are */

/* The template id of a segment. routes.py promises that a template depends on where a segment's digits are,
 * not on their values (but through a %-escape): so a template without digits, got for one segment, is also
 * that of every segment with the same "shape" (digits made "0"): /img/61141.png and /img/88812.png are templated
 * once (by file_template here; other segments by a call to segment_template). A template holding digits (v2,
 * jquery-3.6.0.min.js) is cached for its exact bytes: a template file_template builds is cached the same way. */
static int32_t named_template(Scanner *s, int32_t *cached, const char *text) {
    if (*cached >= 0) return *cached;
    PyObject *t = PyUnicode_FromString(text);
    if (!t) return -1;
    *cached = template_id(s, t);
    Py_DECREF(t);
    return *cached;
}

/* ASCII only, as str.isdigit()/isalpha()/isupper() are on the segments these rules see (a byte outside
 * ASCII never reaches them: every rule below checks its character set first). */
static inline int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static inline int is_upper(unsigned char c) { return c >= 'A' && c <= 'Z'; }
static inline int is_lower(unsigned char c) { return c >= 'a' && c <= 'z'; }
static inline int is_alpha(unsigned char c) { return is_upper(c) || is_lower(c); }
static inline int is_alnum(unsigned char c) { return is_alpha(c) || is_digit(c); }
static inline int is_b64url(unsigned char c) { return is_alnum(c) || c == '_' || c == '-'; }

/* routes._case_changes: neighbours that are both letters, one upper and one lower case. */
static int case_changes(const unsigned char *p, Py_ssize_t n) {
    int k = 0;
    for (Py_ssize_t i = 1; i < n; i++)
        k += is_alpha(p[i - 1]) && is_alpha(p[i]) && is_upper(p[i - 1]) != is_upper(p[i]);
    return k;
}

/* routes._transitions: neighbours of which one is a digit and the other not. */
static int transitions(const unsigned char *p, Py_ssize_t n) {
    int k = 0;
    for (Py_ssize_t i = 1; i < n; i++) k += is_digit(p[i - 1]) != is_digit(p[i]);
    return k;
}

/* routes._few_vowels: letters of both cases, and vowels / letters < 0.28. As integers, 25 * vowels < 7 * letters
 * (7/25 = 0.28): when vowels/letters is 7/25 exactly, Python's quotient is the double nearest 0.28, the same
 * double as the literal, so not below it; otherwise the two differ by at least 1/(25 * letters), far more than
 * the rounding of either double for the lengths here (at most 128), so the float and the integer comparison agree. */
static int few_vowels(const unsigned char *p, Py_ssize_t n) {
    int letters = 0, vowels = 0, upper = 0, lower = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (!is_alpha(c)) continue;
        letters++;
        upper |= is_upper(c);
        lower |= is_lower(c);
        c |= 0x20;
        vowels += c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
    }
    return letters && upper && lower && 25 * vowels < 7 * letters;
}

/* The _SIGIL_ID rule, "$" or "!" then 16 to 255 of [A-Za-z0-9_+=-] (p, n: what follows the sigil): none of
 * _segment's earlier rules can apply to such a segment. Not _BOT, _NUMBER, _UUID or _HEX (its first character
 * is the sigil); not _MATRIX_ID (no ':'), _EMAIL (no '@'), a file name (no '.'); not _TOKENISH or _MIXED_CASE
 * (neither accepts the sigil); _LONG_DIGITS would say {id} as well. */
static int sigil_id(const unsigned char *p, Py_ssize_t n) {
    if (n < 16 || n > 255) return 0;
    for (Py_ssize_t i = 0; i < n; i++)
        if (!is_b64url(p[i]) && p[i] != '+' && p[i] != '=') return 0;
    return 1;
}

/* The _UPPER_ID rule for 8 to 19 of [A-Z0-9] with a letter and a digit (20 or more are _TOKENISH: a {token}).
 * Not _BOT, _MATRIX_ID or _EMAIL (no 'b', sigil or '@'), not _NUMBER (a letter), not _UUID (too short), not
 * _HEX unless it is 12 or more of [0-9A-F] (left to the _HEX rule: {hash}), not a file name (no '.'), not
 * _TOKENISH (too short), not _MIXED_CASE (no case change, no lower case letter for _few_vowels). Six digits in
 * a row are _LONG_DIGITS, {id} as well; else routes._upper_id: two letter/digit transitions, or vowels / letters
 * < 0.25, as integers 4 * vowels < letters (exact: 0.25 is a double, and a quotient below it by at least 1/76
 * does not round up to it). */
static int upper_id(const unsigned char *p, Py_ssize_t n) {
    if (n < 8 || n >= 20) return 0;
    int letters = 0, vowels = 0, beyond_hex = 0, run = 0, long_digits = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (is_digit(c)) {
            run++;
            long_digits |= run >= 6;
            continue;
        }
        if (!is_upper(c)) return 0;
        run = 0;
        letters++;
        beyond_hex |= c > 'F';
        vowels += c == 'A' || c == 'E' || c == 'I' || c == 'O' || c == 'U';
    }
    if (!letters || letters == n || (n >= 12 && !beyond_hex)) return 0;
    return long_digits || transitions(p, n) >= 2 || 4 * vowels < letters;
}

/* What routes._segment says, without asking it, of the commonest generated segments; -2: ask it. Each rule
 * holds only where none of _segment's earlier rules can apply (the comments say why), and
 * tests/test_fastpath_shapes.py compares it with routes.segment_template over random segments of every kind:
 * - "!room:example.org" (a sigil, a colon, no '%'): {id} (_MATRIX_ID; not a bot, number or UUID: the sigil);
 * - "$" or "!" and 16 to 255 of [A-Za-z0-9_+=-], a Matrix event id without a server name: {id} (_SIGIL_ID,
 *   sigil_id says why no earlier rule applies);
 * - 8 to 19 capitals and digits as routes._upper_id wants them (C024BE91L): {id} (_UPPER_ID, see upper_id);
 * - 32 hex digits, or 8-4-4-4-12 with dashes, with a letter: {uuid} (_UUID; no letter would be a _NUMBER);
 * - 12 to 128 hex digits, not 32, with a digit and a letter: {hash} (_HEX; not a UUID, not a _NUMBER);
 * - 20 to 512 of [A-Za-z0-9_-] with a digit, a letter and a character that is neither hex nor '-': {token}
 *   (_TOKENISH; no ':' for _BOT, '@' for _EMAIL or '.' for a file name, not all hex, not a _NUMBER).
 * File names (app.{id}.js, index-{hash}.js) are templated by file_template, after the caches. */
static int32_t known_template(Scanner *s, const unsigned char *p, Py_ssize_t n) {
    unsigned char c0 = p[0];
    if (c0 == '!' || c0 == '@' || c0 == '$' || c0 == '#' || c0 == '+') {
        if (n < 2 || n > 256 || memchr(p, '%', (size_t)n)) return -2;
        if (memchr(p + 1, ':', (size_t)(n - 1))) return s->id_template;
        return (c0 == '$' || c0 == '!') && sigil_id(p + 1, n - 1) ? s->id_template : -2;
    }
    if (upper_id(p, n)) return s->id_template;
    if (n < 12 || n > 512) return -2;
    int digit = 0, hex_letter = 0, other_letter = 0, under = 0, dash = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (c >= '0' && c <= '9') {
            digit = 1;
        } else if ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) {
            hex_letter = 1;
        } else if ((c >= 'g' && c <= 'z') || (c >= 'G' && c <= 'Z')) {
            other_letter = 1;
        } else if (c == '_') {
            under = 1;
        } else if (c == '-') {
            dash++;
        } else {
            return -2;
        }
    }
    if (!other_letter && !under) { /* hex digits and dashes */
        if (!hex_letter) return -2;
        if (dash == 0 && n == 32) return named_template(s, &s->uuid_template, "{uuid}");
        if (dash == 4 && n == 36 && p[8] == '-' && p[13] == '-' && p[18] == '-' && p[23] == '-')
            return named_template(s, &s->uuid_template, "{uuid}");
        if (dash == 0 && n <= 128 && digit) return named_template(s, &s->hash_template, "{hash}");
        return -2;
    }
    if (n >= 20 && digit && (hex_letter || other_letter)) return named_template(s, &s->token_template, "{token}");
    return -2;
}

#define MAX_SEGMENT_LEN 80 /* routes.MAX_SEGMENT_LEN: the longest segment the file name rule reads */
#define MAX_FILE_TEMPLATE (4 * MAX_SEGMENT_LEN) /* "{id}" for each one-digit piece, at most */

/* routes._random_piece: a hex piece (7 to 128 of [0-9a-f], or of [0-9A-F]) with a digit and a letter; else 8 to
 * 128 letters and digits, with both and two letter/digit transitions, or only letters, 16 or more, with case
 * changes >= len // 3 (C's division is Python's // for these positive numbers) or _few_vowels. */
static int random_piece(const unsigned char *p, Py_ssize_t n) {
    int digit = 0, alpha = 0, lower_hex = 1, upper_hex = 1, alnum = 1;
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        digit |= is_digit(c);
        alpha |= is_alpha(c);
        lower_hex &= is_digit(c) || (c >= 'a' && c <= 'f');
        upper_hex &= is_digit(c) || (c >= 'A' && c <= 'F');
        alnum &= is_alnum(c);
    }
    if (n >= 7 && n <= 128 && (lower_hex || upper_hex)) return digit && alpha;
    if (n < 8 || n > 128 || !alnum) return 0;
    if (digit) return alpha && transitions(p, n) >= 2;
    return n >= 16 && (case_changes(p, n) >= n / 3 || few_vowels(p, n));
}

/* routes._random_tail, for the 8 characters after a stem's last '-' (all of [A-Za-z0-9_-]). */
static int random_tail(const unsigned char *t) {
    int alpha = 0, digit = 0, upper_after = 0, sep = 0;
    for (int i = 0; i < 8; i++) {
        alpha |= is_alpha(t[i]);
        digit |= is_digit(t[i]);
        upper_after |= i > 0 && is_upper(t[i]);
        sep |= t[i] == '_' || t[i] == '-';
    }
    if (!alpha) return 0;
    if (digit) return 1;
    if (!upper_after) return 0;
    return sep || case_changes(t, 8) >= 3 || few_vowels(t, 8);
}

static inline int is_piece_sep(unsigned char c) { return c == '.' || c == '_' || c == '~' || c == '-'; }

/* routes._pieces' loop, p[0..n) cut as _PIECES.split cuts it (n <= MAX_SEGMENT_LEN): a number of three digits
 * or more becomes {id} (in a file name any number that is not part of a dotted version), a _random_piece
 * {hash}; a file name's last piece, its extension, stays. Writes the template to out, returns its length.
 * _in_version looks at the piece before as the loop left it (an {id} is no number any more): so does this. */
static Py_ssize_t template_pieces(const unsigned char *p, Py_ssize_t n, int is_file, char *out) {
    Py_ssize_t start[MAX_SEGMENT_LEN + 1], len[MAX_SEGMENT_LEN + 1];
    int number[MAX_SEGMENT_LEN + 1]; /* the piece is (still) digits: "".isdigit() is False */
    int np = 0;
    Py_ssize_t a = 0;
    for (Py_ssize_t i = 0; i <= n; i++) {
        if (i < n && !is_piece_sep(p[i])) continue;
        start[np] = a;
        len[np] = i - a;
        int digits = i > a;
        for (Py_ssize_t k = a; k < i && digits; k++) digits = is_digit(p[k]);
        number[np++] = digits;
        a = i + 1;
    }
    Py_ssize_t o = 0;
    for (int k = 0; k < np; k++) {
        const unsigned char *piece = p + start[k];
        const char *put = NULL;
        if (len[k] && !(is_file && k == np - 1)) {
            if (number[k]) {
                int version = 0;
                if (is_file && len[k] < 3) {
                    version = (k >= 1 && piece[-1] == '.' && number[k - 1] && len[k - 1] <= 4) ||
                              (k + 1 < np && p[start[k + 1] - 1] == '.' && number[k + 1] && len[k + 1] <= 4);
                }
                if (len[k] >= 3 || (is_file && !version)) put = "{id}";
            } else if (random_piece(piece, len[k])) {
                put = "{hash}";
            }
        }
        if (put) {
            number[k] = 0;
            size_t m = strlen(put);
            memcpy(out + o, put, m);
            o += (Py_ssize_t)m;
        } else {
            memcpy(out + o, piece, (size_t)len[k]);
            o += len[k];
        }
        if (k + 1 < np) out[o++] = (char)p[start[k + 1] - 1];
    }
    return o;
}

/* What routes._segment says of a file name, built here (out, its length), or -2: ask it. The segment must be
 * printable ASCII without '%' (unquote would change it), ':' or '@', not start with '.', and be at most
 * MAX_SEGMENT_LEN long: then _BOT (no ':'), _NUMBER (a file name's extension starts with a letter), _UUID, _HEX
 * (a '.'), _MATRIX_ID (no ':') and _EMAIL (no '@') cannot apply, and the file name rule does when _FILE_NAME
 * matches: parts between dots that are not empty, the last a letter then at most 5 letters or digits. Its
 * template is routes._pieces': a Vite/Rollup stem ("name-" and 8 of [A-Za-z0-9_-], _random_tail) becomes
 * "name-{hash}" followed by the rest as it is; otherwise every piece as template_pieces says. */
static Py_ssize_t file_template(const unsigned char *p, Py_ssize_t n, char *out) {
    if (n < 3 || n > MAX_SEGMENT_LEN || p[0] == '.') return -2;
    Py_ssize_t dot = -1, last_dot = -1;
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (c <= 0x20 || c >= 0x7f || c == '%' || c == ':' || c == '@' || c == '/') return -2;
        if (c == '.') {
            if (p[i - 1] == '.') return -2; /* an empty part */
            if (dot < 0) dot = i;
            last_dot = i;
        }
    }
    Py_ssize_t ext = n - last_dot - 1;
    if (dot < 0 || ext < 1 || ext > 6 || !is_alpha(p[last_dot + 1])) return -2;
    for (Py_ssize_t i = last_dot + 2; i < n; i++)
        if (!is_alnum(p[i])) return -2;
    /* _VITE_STEM: the 8 characters are the stem's last (a fullmatch), a '-' before them, something before it. */
    if (dot >= 10 && p[dot - 9] == '-') {
        const unsigned char *tail = p + dot - 8;
        int b64 = 1;
        for (int i = 0; i < 8; i++) b64 &= is_b64url(tail[i]);
        if (b64 && random_tail(tail)) { /* random_tail wants a letter: not tail.isdigit() */
            Py_ssize_t o = template_pieces(p, dot - 9, 0, out);
            memcpy(out + o, "-{hash}", 7);
            o += 7;
            memcpy(out + o, p + dot, (size_t)(n - dot));
            return o + (n - dot);
        }
    }
    return template_pieces(p, n, 1, out);
}

static int32_t segment_id(Scanner *s, const unsigned char *p, Py_ssize_t n) {
    if (n == 0) return s->empty_template;
    if (n <= MAX_DIGIT_ID) {
        Py_ssize_t i = 0;
        while (i < n && p[i] >= '0' && p[i] <= '9') i++;
        if (i == n) return s->id_template;
    }
    int32_t known = known_template(s, p, n);
    if (known != -2) return known;
    unsigned char shape[MAX_SHAPE];
    int by_shape = 0;
    if (n <= MAX_SHAPE) {
        int pct = 0;
        for (Py_ssize_t i = 0; i < n; i++) {
            unsigned char c = p[i];
            if (c >= '0' && c <= '9') {
                shape[i] = '0';
                by_shape = 1;
            } else {
                shape[i] = c;
                pct |= c == '%';
            }
        }
        if (pct) by_shape = 0;
    }
    uint64_t sh = 0;
    int found;
    Py_ssize_t sj = -1;
    if (by_shape) {
        sj = segcache_slot(&s->shapes, shape, n, &sh, &found);
        if (sj < 0) return -1;
        if (found) return s->shapes.slots[sj].id;
    }
    uint64_t h;
    Py_ssize_t j = segcache_slot(&s->segs, p, n, &h, &found);
    if (j < 0) return -1;
    if (found) return s->segs.slots[j].id;
    char built[MAX_FILE_TEMPLATE];
    Py_ssize_t built_len = file_template(p, n, built);
    PyObject *template;
    if (built_len >= 0) {
        template = PyUnicode_DecodeASCII(built, built_len, "strict");
    } else {
        PyObject *seg = PyUnicode_DecodeASCII((const char *)p, n, "strict");
        if (!seg) return -1;
        template = PyObject_CallOneArg(s->segment_template, seg);
        Py_DECREF(seg);
    }
    if (!template) return -1;
    if (!PyUnicode_Check(template)) {
        Py_DECREF(template);
        PyErr_SetString(PyExc_TypeError, "segment_template must return a str");
        return -1;
    }
    int32_t id = template_id(s, template);
    int digits = has_ascii_digit(template);
    Py_DECREF(template);
    if (id < 0) return -1;
    if (by_shape && !digits) {
        if (segcache_store(&s->shapes, sj, sh, shape, n, id) < 0) return -1;
    } else if (segcache_store(&s->segs, j, h, p, n, id) < 0) {
        return -1;
    }
    return id;
}

/* Whether the aggregate turns `text` away (1), once close_routes() said which routes it keeps; -1: error. */
static int route_refused(Scanner *s, PyObject *text) {
    if (!s->admitted) return 0;
    PyObject *res = PyObject_CallOneArg(s->admitted, text);
    if (!res) return -1;
    int kept = PyObject_IsTrue(res);
    Py_DECREF(res);
    return kept < 0 ? -1 : !kept;
}

static int32_t new_route(Scanner *s, PyObject *text) {
    int refused = route_refused(s, text);
    if (refused < 0) return -1;
    if (s->routes_len == s->routes_cap) {
        Py_ssize_t cap = s->routes_cap ? s->routes_cap * 2 : 256;
        Route *r = PyMem_Realloc(s->routes, sizeof(Route) * (size_t)cap);
        if (!r) {
            PyErr_NoMemory();
            return -1;
        }
        s->routes = r;
        s->routes_cap = cap;
    }
    Py_INCREF(text);
    s->routes[s->routes_len].text = text;
    s->routes[s->routes_len].empty_query_hold = -2;
    s->routes[s->routes_len].names = NULL;
    s->routes[s->routes_len].present = 0;
    s->routes[s->routes_len].refused = refused;
    s->routes[s->routes_len].reported = 0;
    return (int32_t)s->routes_len++;
}

static int route_slots_grow(Scanner *s) {
    Py_ssize_t cap = s->route_cap ? s->route_cap * 2 : 1024;
    RouteSlot *slots = PyMem_Malloc(sizeof(RouteSlot) * (size_t)cap);
    if (!slots) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < cap; i++) slots[i].route = -1;
    for (Py_ssize_t i = 0; i < s->route_cap; i++) {
        if (s->route_slots[i].route < 0) continue;
        Py_ssize_t j = (Py_ssize_t)(s->route_slots[i].hash & (uint64_t)(cap - 1));
        while (slots[j].route >= 0) j = (j + 1) & (cap - 1);
        slots[j] = s->route_slots[i];
    }
    PyMem_Free(s->route_slots);
    s->route_slots = slots;
    s->route_cap = cap;
    return 0;
}

/* The route of a path normalize_path cuts into segments itself (it starts with "/", few enough parts). */
static int32_t route_of_parts(Scanner *s, const int32_t *ids, int32_t nparts) {
    if ((s->route_slot_len + 1) * 2 > s->route_cap && route_slots_grow(s) < 0) return -1;
    uint64_t h = hash_bytes((const unsigned char *)ids, (Py_ssize_t)sizeof(int32_t) * nparts);
    Py_ssize_t j = (Py_ssize_t)(h & (uint64_t)(s->route_cap - 1));
    while (s->route_slots[j].route >= 0) {
        RouteSlot *slot = &s->route_slots[j];
        if (slot->hash == h && slot->nparts == nparts && memcmp(slot->ids, ids, sizeof(int32_t) * (size_t)nparts) == 0)
            return slot->route;
        j = (j + 1) & (s->route_cap - 1);
    }
    PyObject *parts = PyList_New(nparts);
    if (!parts) return -1;
    for (int32_t i = 0; i < nparts; i++) {
        PyObject *t = PyList_GET_ITEM(s->template_list, ids[i]);
        Py_INCREF(t);
        PyList_SET_ITEM(parts, i, t);
    }
    PyObject *slash = PyUnicode_FromString("/");
    PyObject *text = slash ? PyUnicode_Join(slash, parts) : NULL;
    Py_XDECREF(slash);
    Py_DECREF(parts);
    if (!text) return -1;
    int32_t route = new_route(s, text);
    Py_DECREF(text);
    if (route < 0) return -1;
    RouteSlot *slot = &s->route_slots[j];
    slot->hash = h;
    slot->nparts = nparts;
    memcpy(slot->ids, ids, sizeof(int32_t) * (size_t)nparts);
    slot->route = route;
    s->route_slot_len++;
    return route;
}

/* The route whose text is `text` (a str), made the first time (whole_routes keeps them by text); -1 on error. */
static int32_t route_of_text(Scanner *s, PyObject *text) {
    PyObject *known = PyDict_GetItemWithError(s->whole_routes, text);
    if (known) return (int32_t)PyLong_AsLong(known);
    if (PyErr_Occurred()) return -1;
    int32_t route = new_route(s, text);
    PyObject *num = route >= 0 ? PyLong_FromLong(route) : NULL;
    if (!num || PyDict_SetItem(s->whole_routes, text, num) < 0) route = -1;
    Py_XDECREF(num);
    return route;
}

/* Any other path: normalize_path itself, through the route_template callback. */
static int32_t route_of_whole(Scanner *s, const unsigned char *p, Py_ssize_t n) {
    PyObject *path = PyUnicode_DecodeASCII((const char *)p, n, "strict");
    if (!path) return -1;
    PyObject *text = PyObject_CallOneArg(s->route_template, path);
    Py_DECREF(path);
    if (!text) return -1;
    int32_t route = route_of_text(s, text);
    Py_DECREF(text);
    return route;
}

static int32_t route_id(Scanner *s, const unsigned char *p, Py_ssize_t n) {
    if (n == 0 || p[0] != '/') return route_of_whole(s, p, n);
    int32_t ids[MAX_SEGMENTS + 1];
    int32_t nparts = 0;
    Py_ssize_t start = 0;
    for (Py_ssize_t i = 0; i <= n; i++) {
        if (i < n && p[i] != '/') continue;
        if (nparts == MAX_SEGMENTS + 1) return route_of_whole(s, p, n);
        int32_t id = segment_id(s, p + start, i - start);
        if (id < 0) return -1;
        ids[nparts++] = id;
        start = i + 1;
    }
    return route_of_parts(s, ids, nparts);
}

static int32_t call_hold_key(Scanner *s, Route *r, const unsigned char *q, Py_ssize_t n) {
    PyObject *query = PyUnicode_DecodeASCII((const char *)q, n, "strict");
    if (!query) return -1;
    PyObject *res = PyObject_CallFunctionObjArgs(s->hold_key, r->text, query, NULL);
    Py_DECREF(query);
    if (!res) return -1;
    long id = PyLong_AsLong(res);
    Py_DECREF(res);
    if (id == -1 && PyErr_Occurred()) return -1;
    if (id < 0 || id > INT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "hold_key must return an int >= 0");
        return -1;
    }
    return (int32_t)id;
}

static int load_names(Scanner *s, Route *r) {
    PyObject *names = PyObject_CallOneArg(s->hold_names, r->text);
    if (!names) return -1;
    PyObject *seq = PySequence_Fast(names, "hold_names must return an iterable");
    Py_DECREF(names);
    if (!seq) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject *out = PyTuple_New(n);
    for (Py_ssize_t i = 0; out && i < n; i++) {
        PyObject *b = PyUnicode_AsASCIIString(PySequence_Fast_GET_ITEM(seq, i));
        if (!b) {
            Py_CLEAR(out);
            break;
        }
        PyTuple_SET_ITEM(out, i, b);
    }
    Py_DECREF(seq);
    if (!out) return -1;
    r->names = out;
    r->present = 0;
    if (s->hold_present == Py_None) return 0;
    PyObject *present = PyObject_CallOneArg(s->hold_present, r->text);
    if (!present) return -1;
    seq = PySequence_Fast(present, "hold_present must return an iterable");
    Py_DECREF(present);
    if (!seq) return -1;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
        PyObject *b = PyUnicode_AsASCIIString(PySequence_Fast_GET_ITEM(seq, i));
        if (!b) {
            Py_DECREF(seq);
            return -1;
        }
        for (Py_ssize_t k = 0; k < n && k < 64; k++)
            if (PyObject_RichCompareBool(PyTuple_GET_ITEM(out, k), b, Py_EQ) == 1) r->present |= 1ULL << k;
        Py_DECREF(b);
    }
    Py_DECREF(seq);
    return 0;
}

#define MAX_QUERY_PARTS 64 /* holds.parse_query reads no more */
#define MAX_CUT_QUERY 2048

/* The hold id of a request on `route` with query q[0..n). The query is cut to the parameters the hold depends
 * on (hold_names) and the cut query looked up; one with a %-escape or too many parameters goes to Python whole. */
static int32_t hold_id(Scanner *s, int32_t route, const unsigned char *q, Py_ssize_t n) {
    Route *r = &s->routes[route];
    if (n == 0) {
        if (r->empty_query_hold == -2) r->empty_query_hold = call_hold_key(s, r, q, 0);
        return r->empty_query_hold;
    }
    if (memchr(q, '%', (size_t)n)) return call_hold_key(s, r, q, n);
    if (!r->names && load_names(s, r) < 0) return -1;
    unsigned char cut[sizeof(int32_t) + MAX_CUT_QUERY];
    memcpy(cut, &route, sizeof(int32_t));
    Py_ssize_t len = sizeof(int32_t);
    int parts = 0;
    Py_ssize_t start = 0;
    Py_ssize_t n_names = PyTuple_GET_SIZE(r->names);
    for (Py_ssize_t i = 0; i <= n; i++) {
        if (i < n && q[i] != '&') continue;
        if (++parts > MAX_QUERY_PARTS) return call_hold_key(s, r, q, n);
        const unsigned char *part = q + start;
        Py_ssize_t part_len = i - start;
        const unsigned char *eq = memchr(part, '=', (size_t)part_len);
        Py_ssize_t name_len = eq ? eq - part : part_len;
        for (Py_ssize_t k = 0; k < n_names; k++) {
            PyObject *name = PyTuple_GET_ITEM(r->names, k);
            if (PyBytes_GET_SIZE(name) == name_len && memcmp(PyBytes_AS_STRING(name), part, (size_t)name_len) == 0) {
                if (len + part_len + 1 > (Py_ssize_t)sizeof(cut)) return call_hold_key(s, r, q, n);
                if (len > (Py_ssize_t)sizeof(int32_t)) cut[len++] = '&';
                /* a value hold_key reads only as empty or not (a Consul index): "1" stands for any but "" (every
                 * such value gets one cut query, not one each) */
                int any = k < 64 && ((r->present >> k) & 1) && part_len > name_len + 1;
                memcpy(cut + len, part, (size_t)(any ? name_len + 1 : part_len));
                len += any ? name_len + 1 : part_len;
                if (any) cut[len++] = '1';
                break;
            }
        }
        start = i + 1;
    }
    uint64_t h;
    int found;
    Py_ssize_t j = segcache_slot(&s->holds, cut, len, &h, &found);
    if (j < 0) return -1;
    if (found) return s->holds.slots[j].id;
    int32_t id = call_hold_key(s, r, cut + sizeof(int32_t), len - (Py_ssize_t)sizeof(int32_t));
    if (id < 0 || segcache_store(&s->holds, j, h, cut, len, id) < 0) return -1;
    return id;
}

static int method_id(Scanner *s, const unsigned char *p, int n) {
    for (int i = 0; i < s->n_methods; i++)
        if (s->method_len[i] == n && memcmp(s->methods[i], p, (size_t)n) == 0) return i;
    if (s->n_methods == MAX_METHODS) return -1;
    memcpy(s->methods[s->n_methods], p, (size_t)n);
    s->method_len[s->n_methods] = n;
    return s->n_methods++;
}

/* --------------------------------------------------------------------------------- group storage */

static int group_slots_grow(Scanner *s) {
    Py_ssize_t cap = s->group_slot_cap ? s->group_slot_cap * 2 : 4096;
    GroupSlot *slots = PyMem_Malloc(sizeof(GroupSlot) * (size_t)cap);
    if (!slots) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < cap; i++) slots[i].group = -1;
    for (Py_ssize_t i = 0; i < s->group_slot_cap; i++) {
        if (s->group_slots[i].group < 0) continue;
        Py_ssize_t j = (Py_ssize_t)(s->group_slots[i].hash & (uint64_t)(cap - 1));
        while (slots[j].group >= 0) j = (j + 1) & (cap - 1);
        slots[j] = s->group_slots[i];
    }
    PyMem_Free(s->group_slots);
    s->group_slots = slots;
    s->group_slot_cap = cap;
    return 0;
}

static Group *append_entry(Scanner *s) {
    if (s->groups_len == s->groups_cap) {
        Py_ssize_t cap = s->groups_cap ? s->groups_cap * 2 : 1024;
        Group *g = PyMem_Realloc(s->groups, sizeof(Group) * (size_t)cap);
        if (!g) {
            PyErr_NoMemory();
            return NULL;
        }
        s->groups = g;
        s->groups_cap = cap;
    }
    Group *g = &s->groups[s->groups_len++];
    memset(g, 0, sizeof(Group));
    return g;
}

static Group *group_for(Scanner *s, const GroupKey *key, const unsigned char *extra, const unsigned char *line,
                        Py_ssize_t len, long long line_no) {
    if ((s->groups_len + 1) * 2 > s->group_slot_cap && group_slots_grow(s) < 0) return NULL;
    uint64_t h = hash_bytes((const unsigned char *)key, (Py_ssize_t)sizeof(GroupKey));
    Py_ssize_t j = (Py_ssize_t)(h & (uint64_t)(s->group_slot_cap - 1));
    while (s->group_slots[j].group >= 0) {
        Group *g = &s->groups[s->group_slots[j].group];
        if (s->group_slots[j].hash == h && memcmp(&g->key, key, sizeof(GroupKey)) == 0 &&
            memcmp(PyBytes_AS_STRING(g->extra), extra, (size_t)key->extra_len) == 0)
            return g;
        j = (j + 1) & (s->group_slot_cap - 1);
    }
    PyObject *first = PyBytes_FromStringAndSize((const char *)line, len);
    if (!first) return NULL;
    PyObject *extra_bytes = PyBytes_FromStringAndSize((const char *)extra, key->extra_len);
    Group *g = extra_bytes ? append_entry(s) : NULL;
    if (!g) {
        Py_DECREF(first);
        Py_XDECREF(extra_bytes);
        return NULL;
    }
    g->key = *key;
    g->first = first;
    g->extra = extra_bytes;
    g->first_line = line_no;
    g->tmin = INFINITY;
    g->tmax = -INFINITY;
    s->group_slots[j].hash = h;
    s->group_slots[j].group = s->groups_len - 1;
    return g;
}

/* Forget every route (and the holds cached by route): only between two takes, when no group refers to one. */
static void drop_routes(Scanner *s) {
    for (Py_ssize_t i = 0; i < s->routes_len; i++) {
        Py_DECREF(s->routes[i].text);
        Py_XDECREF(s->routes[i].names);
    }
    s->routes_len = 0;
    for (Py_ssize_t i = 0; i < s->route_cap; i++) s->route_slots[i].route = -1;
    s->route_slot_len = 0;
    PyDict_Clear(s->whole_routes);
    segcache_clear(&s->holds);
    segcache_clear(&s->streams);
}

/* Forget the segment templates too (routes are made of their ids): again only between two takes. */
static int drop_templates(Scanner *s) {
    drop_routes(s);
    segcache_clear(&s->segs);
    segcache_clear(&s->shapes);
    PyDict_Clear(s->templates);
    if (PyList_SetSlice(s->template_list, 0, PyList_GET_SIZE(s->template_list), NULL) < 0) return -1;
    PyObject *empty = PyUnicode_FromString("");
    PyObject *id = PyUnicode_FromString("{id}");
    s->uuid_template = s->hash_template = s->token_template = -1;
    if (empty && id) {
        s->empty_template = template_id(s, empty);
        s->id_template = template_id(s, id);
    }
    Py_XDECREF(empty);
    Py_XDECREF(id);
    return (!empty || !id || s->empty_template < 0 || s->id_template < 0) ? -1 : 0;
}

static void drop_groups(Scanner *s) {
    for (Py_ssize_t i = 0; i < s->groups_len; i++) {
        Group *g = &s->groups[i];
        Py_XDECREF(g->first);
        Py_XDECREF(g->extra);
        countmap_free(&g->request_ms);
        countmap_free(&g->upstream_ms);
        countmap_free(&g->timeline.buckets);
    }
    s->groups_len = 0;
    s->values = 0;
    for (Py_ssize_t i = 0; i < s->group_slot_cap; i++) s->group_slots[i].group = -1;
}

/* ---------------------------------------------------------------------------------- line parsing */

static inline int is_space(unsigned char c) { /* str.isspace() for ASCII */
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

/* "[0-9]{1,9}\.[0-9]{3}" at p[*i..end) -> milliseconds, or -1 if it is not there. */
static long long read_ms(const unsigned char *p, Py_ssize_t *i, Py_ssize_t end) {
    Py_ssize_t k = *i;
    long long v = 0;
    int digits = 0;
    while (k < end && is_digit(p[k]) && digits < 10) {
        v = v * 10 + (p[k] - '0');
        k++;
        digits++;
    }
    if (digits < 1 || digits > 9 || k + 4 > end || p[k] != '.') return -1;
    for (int d = 1; d <= 3; d++) {
        if (!is_digit(p[k + d])) return -1;
        v = v * 10 + (p[k + d] - '0');
    }
    *i = k + 4;
    return v;
}

/* Skip a field of 1..max bytes none of which is `stop`; then expect `stop`. Returns the index of `stop`. */
static Py_ssize_t field_until(const unsigned char *p, Py_ssize_t i, Py_ssize_t end, unsigned char stop,
                              Py_ssize_t min, Py_ssize_t max) {
    if (i >= end) return -1;
    const unsigned char *at = memchr(p + i, stop, (size_t)(end - i));
    if (!at) return -1;
    Py_ssize_t k = at - p;
    if (k - i < min || k - i > max) return -1;
    return k;
}

typedef struct {
    const unsigned char *method, *path, *query;
    int method_len;
    Py_ssize_t path_len, query_len;
    int status, upstream_status; /* upstream -1: "-" */
    long long request_ms, upstream_ms; /* -1: "-" */
    int no_header;
    const unsigned char *stamp; /* $time_local, between its brackets */
    Py_ssize_t stamp_len;
    const unsigned char *tsc, *capture; /* HAProxy: the termination state (4 bytes), the request headers captured */
    Py_ssize_t capture_len;             /* -1: none */
    double epoch; /* JSON: a time given as epoch seconds (stamp_len -1), or a start time (stamp_len -2: J_START) */
    const unsigned char *stamp2; /* nginx: $time (J_TIME_ALT), or NULL */
    Py_ssize_t stamp2_len;
    const unsigned char *clf; /* nginx: $time_local (J_CLF), or NULL */
    Py_ssize_t clf_len;
    double decimal;  /* a text layout's $msec (J_DECIMAL), when has_decimal */
    int has_decimal;
    int flag; /* J_PREFIX_FLAG: the value started with the expected text */
} Fields;

/* routes.split_target of the target p[t..end): drop "#...", then cut at the first "?" into path and query. */
static void set_target(Fields *f, const unsigned char *p, Py_ssize_t t, Py_ssize_t end) {
    Py_ssize_t cut = t;
    while (cut < end && p[cut] != '#') cut++;
    Py_ssize_t q = t;
    while (q < cut && p[q] != '?') q++;
    f->path = p + t;
    f->path_len = q - t;
    f->query = q < cut ? p + q + 1 : p + cut;
    f->query_len = q < cut ? cut - q - 1 : 0;
}

/* 10 ** n as a double, n in 0..9: a fraction's digits divided by it, as Python's int(frac) / 10 ** len(frac). */
static const double POW10[10] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};

/* '<key>="' at p[*i..end): advances past it, 0 if it is not there. */
static int expect(const unsigned char *p, Py_ssize_t *i, Py_ssize_t end, const char *text) {
    size_t n = strlen(text);
    if (*i + (Py_ssize_t)n > end || memcmp(p + *i, text, n) != 0) return 0;
    *i += (Py_ssize_t)n;
    return 1;
}

/* A quoted time of one upstream try: '-"' (-1) or '[0-9]{1,9}.[0-9]{3}"' (ms); -2 if neither. */
static long long quoted_ms(const unsigned char *p, Py_ssize_t *i, Py_ssize_t end) {
    long long v;
    if (*i < end && p[*i] == '-') {
        (*i)++;
        v = -1;
    } else if ((v = read_ms(p, i, end)) < 0) {
        return -2;
    }
    if (*i >= end || p[*i] != '"') return -2;
    (*i)++;
    return v;
}

/* The key=value tail (TAIL_KV) from p[i..end): 1 with the fields filled, 0 for any other tail. */
static int parse_kv_tail(const unsigned char *p, Py_ssize_t i, Py_ssize_t end, Fields *f) {
    if (!expect(p, &i, end, " rt=") || (f->request_ms = read_ms(p, &i, end)) < 0) return 0;
    if (!expect(p, &i, end, " uct=\"") || quoted_ms(p, &i, end) == -2) return 0;
    long long header;
    if (!expect(p, &i, end, " uht=\"") || (header = quoted_ms(p, &i, end)) == -2) return 0;
    f->no_header = header < 0;
    if (!expect(p, &i, end, " urt=\"") || (f->upstream_ms = quoted_ms(p, &i, end)) == -2) return 0;
    if (!expect(p, &i, end, " us=\"")) return 0;
    if (i + 2 <= end && p[i] == '-' && p[i + 1] == '"') {
        f->upstream_status = -1;
        i += 2;
    } else if (i + 4 <= end && is_digit(p[i]) && is_digit(p[i + 1]) && is_digit(p[i + 2]) && p[i + 3] == '"') {
        f->upstream_status = (p[i] - '0') * 100 + (p[i + 1] - '0') * 10 + (p[i + 2] - '0');
        i += 4;
    } else {
        return 0;
    }
    /* ua="address": one address (no ',' or space: several tries go to Python), or "-". */
    if (!expect(p, &i, end, " ua=\"")) return 0;
    Py_ssize_t a = i;
    while (i < end && p[i] != '"' && p[i] != ',' && !is_space(p[i]) && p[i] < 0x80) i++;
    if (i == a || i >= end || p[i] != '"') return 0;
    return i + 1 == end;
}

/* 1: a line of the common shape (fields filled); 0: anything else. */
static int parse_line(const unsigned char *p, Py_ssize_t end, int timing, Fields *f) {
    while (end > 0 && is_space(p[end - 1])) end--; /* line.rstrip() */
    Py_ssize_t i = 0, k;
    /* $remote_addr - $remote_user [ */
    for (int field = 0; field < 3; field++) {
        if ((k = field_until(p, i, end, ' ', 1, 256)) < 0) return 0;
        i = k + 1;
    }
    if (i >= end || p[i] != '[') return 0;
    if ((k = field_until(p, i + 1, end, ']', 1, 64)) < 0) return 0;
    f->stamp = p + i + 1;
    f->stamp_len = k - i - 1;
    i = k + 1;
    if (i + 2 > end || p[i] != ' ' || p[i + 1] != '"') return 0;
    i += 2;
    /* "$request": METHOD SP target [SP HTTP/x.y] */
    Py_ssize_t quoted_max = timing == TAIL_MICROS ? 16384 : 65536; /* apache_log._ACCESS, _QUOTED */
    Py_ssize_t req_end = field_until(p, i, end, '"', 0, quoted_max);
    if (req_end < 0) return 0;
    k = i;
    if (k >= req_end || p[k] < 'A' || p[k] > 'Z') return 0;
    while (k < req_end && ((p[k] >= 'A' && p[k] <= 'Z') || p[k] == '_' || p[k] == '-')) k++;
    if (k - i > 20 || k >= req_end || p[k] != ' ') return 0;
    f->method = p + i;
    f->method_len = (int)(k - i);
    Py_ssize_t t = ++k;
    while (k < req_end && !is_space(p[k]) && p[k] < 0x80) k++;
    if (k == t) return 0;
    Py_ssize_t target_end = k;
    if (k < req_end) {
        if (req_end - k < 7 || memcmp(p + k, " HTTP/", 6) != 0 || req_end - k - 6 > 5) return 0;
        for (Py_ssize_t v = k + 6; v < req_end; v++)
            if (!is_digit(p[v]) && p[v] != '.') return 0;
    }
    set_target(f, p, t, target_end);
    /* " $status $body_bytes_sent" */
    i = req_end + 1;
    if (i + 5 > end || p[i] != ' ' || !is_digit(p[i + 1]) || !is_digit(p[i + 2]) || !is_digit(p[i + 3]) ||
        p[i + 4] != ' ')
        return 0;
    f->status = (p[i + 1] - '0') * 100 + (p[i + 2] - '0') * 10 + (p[i + 3] - '0');
    i += 5;
    k = i;
    while (k < end && is_digit(p[k])) k++;
    if (k - i < 1 || k - i > 20) {
        if (!(k == i && k < end && p[k] == '-')) return 0;
        k++;
    }
    i = k;
    /* ' "$http_referer" "$http_user_agent"' */
    if (i + 2 > end || p[i] != ' ' || p[i + 1] != '"') return 0;
    if ((k = field_until(p, i + 2, end, '"', 0, quoted_max)) < 0) return 0;
    i = k + 1;
    if (i + 2 > end || p[i] != ' ' || p[i + 1] != '"') return 0;
    if ((k = field_until(p, i + 2, end, '"', 0, quoted_max)) < 0) return 0;
    i = k + 1;
    f->no_header = 0;
    if (timing == TAIL_NONE) {
        f->request_ms = f->upstream_ms = -1;
        f->upstream_status = -1;
        return i == end;
    }
    if (timing == TAIL_KV) return parse_kv_tail(p, i, end, f);
    if (timing == TAIL_MICROS) {
        /* " %D" or " %T/%D": 1..15 digits of microseconds (exact in a double; longer ones go to Python) */
        if (i >= end || p[i] != ' ') return 0;
        k = ++i;
        while (k < end && is_digit(p[k])) k++;
        if (k < end && p[k] == '/') {
            if (k - i < 1 || k - i > 12) return 0;
            i = ++k;
            while (k < end && is_digit(p[k])) k++;
        }
        if (k != end || k - i < 1 || k - i > 15) return 0;
        long long us = 0;
        for (; i < end; i++) us = us * 10 + (p[i] - '0');
        f->request_ms = us;
        f->upstream_ms = -1;
        f->upstream_status = -1;
        return 1;
    }
    /* " $request_time $upstream_response_time $upstream_status", one upstream try */
    if (i >= end || p[i] != ' ') return 0;
    i++;
    if ((f->request_ms = read_ms(p, &i, end)) < 0) return 0;
    if (i >= end || p[i] != ' ') return 0;
    i++;
    if (i < end && p[i] == '-') {
        f->upstream_ms = -1;
        i++;
    } else if ((f->upstream_ms = read_ms(p, &i, end)) < 0) {
        return 0;
    }
    if (i >= end || p[i] != ' ') return 0;
    i++;
    if (end - i == 1 && p[i] == '-') {
        f->upstream_status = -1;
    } else if (end - i == 3 && is_digit(p[i]) && is_digit(p[i + 1]) && is_digit(p[i + 2])) {
        f->upstream_status = (p[i] - '0') * 100 + (p[i + 1] - '0') * 10 + (p[i + 2] - '0');
    } else {
        return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------------------------------ HAProxy */

static inline int is_graph(unsigned char c) { return c > 0x20 && c < 0x7f; } /* \S, narrowed to ASCII */

/* A token of 1..max bytes of is_graph up to a space (not consumed): its end, or -1. */
static Py_ssize_t token(const unsigned char *p, Py_ssize_t i, Py_ssize_t end, Py_ssize_t max) {
    Py_ssize_t k = i;
    while (k < end && is_graph(p[k])) k++;
    if (k == i || k - i > max || k >= end || p[k] != ' ') return -1;
    return k;
}

/* "[+]?[-]?[0-9]{1,max}" (each sign allowed or not) at p[*i..): its value, *ok 0 if it is not there. */
static long long signed_number(const unsigned char *p, Py_ssize_t *i, Py_ssize_t end, int plus, int minus, int max,
                               int *ok) {
    Py_ssize_t k = *i;
    int neg = 0;
    if (plus && k < end && p[k] == '+') k++;
    if (minus && k < end && p[k] == '-') {
        neg = 1;
        k++;
    }
    Py_ssize_t d = k;
    long long v = 0;
    while (k < end && is_digit(p[k]) && k - d < max) v = v * 10 + (p[k++] - '0');
    *ok = k > d && !(k < end && is_digit(p[k]));
    *i = k;
    return neg ? -v : v;
}

static int expect_byte(const unsigned char *p, Py_ssize_t *i, Py_ssize_t end, unsigned char c) {
    if (*i >= end || p[*i] != c) return 0;
    (*i)++;
    return 1;
}

/* An RFC 3164 header as haproxy_log._PREFIX reads it, its own first way: "Mmm dd hh:mm:ss host tag[pid]: ".
 * Its end, or -1 (the line then goes to Python, which may read it another way). */
static Py_ssize_t haproxy_syslog_header(const unsigned char *p, Py_ssize_t end) {
    if (end < 16 || !(p[0] >= 'A' && p[0] <= 'Z') || !(p[1] >= 'a' && p[1] <= 'z') || !(p[2] >= 'a' && p[2] <= 'z') ||
        p[3] != ' ' || !(p[4] == ' ' || is_digit(p[4])) || !is_digit(p[5]) || p[6] != ' ' || !is_digit(p[7]) ||
        !is_digit(p[8]) || p[9] != ':' || !is_digit(p[10]) || !is_digit(p[11]) || p[12] != ':' || !is_digit(p[13]) ||
        !is_digit(p[14]) || p[15] != ' ')
        return -1;
    Py_ssize_t i = 16, k = token(p, i, end, 255); /* the host */
    if (k < 0) return -1;
    i = k + 1;
    k = i; /* the tag: [^\s\[\]:]{1,64} */
    while (k < end && is_graph(p[k]) && p[k] != '[' && p[k] != ']' && p[k] != ':') k++;
    if (k == i || k - i > 64) return -1;
    i = k;
    if (i < end && p[i] == '[') {
        k = ++i;
        while (k < end && is_digit(p[k])) k++;
        if (k == i || k - i > 10 || k >= end || p[k] != ']') return -1;
        i = k + 1;
    }
    if (i + 2 > end || p[i] != ':' || p[i + 1] != ' ') return -1;
    return i + 2;
}

/* 1: an httplog line as haproxy_log.parse_line reads it, narrowed (ASCII, an origin-form target, a method of
 * at most 20 characters ...), fields filled; 0: anything else, for Python. */
/* What httplog and tcplog lines start with: "%ci:%cp [%tr] %ft %b/%s ", raw or after a syslog header. f gets
 * the time's text, *fe and *be the frontend's and backend's names (their lengths in *fe_len, *be_len); returns
 * the index after the space that follows, or -1. */
static Py_ssize_t haproxy_head(const unsigned char *p, Py_ssize_t end, Fields *f, const unsigned char **fe,
                               Py_ssize_t *fe_len, const unsigned char **be, Py_ssize_t *be_len) {
    Py_ssize_t i = 0, k;
    /* A raw line starts with "client:port [": a 3-letter first word is a syslog header's month. */
    if (end > 4 && p[3] == ' ') {
        if ((i = haproxy_syslog_header(p, end)) < 0) return -1;
    }
    /* %ci:%cp: the client is everything up to the last ':' of the first word */
    if ((k = token(p, i, end, 64 + 1 + 5)) < 0) return -1;
    Py_ssize_t colon = k - 1;
    while (colon > i && p[colon] != ':') colon--;
    if (colon <= i || colon - i > 64 || k - colon - 1 < 1 || k - colon - 1 > 5) return -1;
    for (Py_ssize_t d = colon + 1; d < k; d++)
        if (!is_digit(p[d])) return -1;
    i = k + 1;
    /* [%tr]: dd/Mon/yyyy:hh:mm:ss with 1..6 digits of fraction or none */
    if (!expect_byte(p, &i, end, '[')) return -1;
    f->stamp = p + i;
    k = i;
    while (k < end && p[k] != ']' && k - i <= 27) k++;
    if (k >= end || p[k] != ']' || !(k - i == 20 || (k - i >= 22 && k - i <= 27 && p[i + 20] == '.'))) return -1;
    f->stamp_len = k - i;
    i = k + 1;
    if (!expect_byte(p, &i, end, ' ')) return -1;
    /* %ft %b/%s */
    if ((k = token(p, i, end, 128)) < 0) return -1;
    *fe = p + i;
    *fe_len = k - i;
    i = k + 1;
    if ((k = token(p, i, end, 128 + 1 + 128)) < 0) return -1;
    const unsigned char *slash = memchr(p + i, '/', (size_t)(k - i));
    if (!slash || slash == p + i || slash - (p + i) > 128 || k - (slash - p) - 1 < 1 || k - (slash - p) - 1 > 128)
        return -1;
    *be = p + i;
    *be_len = slash - (p + i);
    return k + 1;
}

static int parse_haproxy_line(const unsigned char *p, Py_ssize_t end, Fields *f) {
    const unsigned char *fe, *be;
    Py_ssize_t fe_len, be_len, k;
    int ok;
    Py_ssize_t i = haproxy_head(p, end, f, &fe, &fe_len, &be, &be_len);
    if (i < 0) return 0;
    /* %TR/%Tw/%Tc/%Tr/%Ta: the last is the duration ("+": option logasap; negative: none) */
    for (int t = 0; t < 4; t++) {
        signed_number(p, &i, end, 0, 1, 10, &ok);
        if (!ok || !expect_byte(p, &i, end, '/')) return 0;
    }
    long long total = signed_number(p, &i, end, 1, 1, 10, &ok);
    if (!ok || !expect_byte(p, &i, end, ' ')) return 0;
    f->request_ms = total >= 0 ? total : -1;
    /* %ST %B %CC %CS %tsc */
    long long status = signed_number(p, &i, end, 0, 1, 4, &ok);
    if (!ok || !expect_byte(p, &i, end, ' ')) return 0;
    f->status = (int)status;
    signed_number(p, &i, end, 1, 1, 20, &ok);
    if (!ok || !expect_byte(p, &i, end, ' ')) return 0;
    for (int c = 0; c < 2; c++) {
        if ((k = token(p, i, end, 512)) < 0) return 0;
        i = k + 1;
    }
    if (i + 5 > end || p[i + 4] != ' ') return 0;
    for (int c = 0; c < 4; c++)
        if (!((p[i + c] >= 'A' && p[i + c] <= 'Z') || (p[i + c] >= 'a' && p[i + c] <= 'z') || p[i + c] == '-'))
            return 0;
    f->tsc = p + i;
    i += 5;
    /* %ac/%fc/%bc/%sc/%rc %sq/%bq */
    for (int c = 0; c < 5; c++) {
        signed_number(p, &i, end, 1, 0, 10, &ok);
        if (!ok || !expect_byte(p, &i, end, c < 4 ? '/' : ' ')) return 0;
    }
    signed_number(p, &i, end, 0, 0, 10, &ok);
    if (!ok || !expect_byte(p, &i, end, '/')) return 0;
    signed_number(p, &i, end, 0, 0, 10, &ok);
    if (!ok) return 0;
    /* " {%hr}" " {%hs}", each optional: the request headers captured may name the host */
    f->capture_len = -1;
    for (int c = 0; c < 2 && i + 2 <= end && p[i] == ' ' && p[i + 1] == '{'; c++) {
        k = i + 2;
        while (k < end && p[k] != '}' && p[k] != '"' && k - i - 2 <= 8192) k++;
        if (k >= end || p[k] != '}' || k - i - 2 > 8192) return 0;
        if (c == 0) {
            f->capture = p + i + 2;
            f->capture_len = k - i - 2;
        }
        i = k + 1;
    }
    /* ' "%r': the request, up to a quote or the end of the line; what follows it is not read */
    if (i + 2 > end || p[i] != ' ' || p[i + 1] != '"') return 0;
    i += 2;
    const unsigned char *q = memchr(p + i, '"', (size_t)(end - i));
    Py_ssize_t req_end = q ? q - p : end;
    if (req_end - i > 16384) return 0;
    /* traefik_log.split_request: "METHOD target[ protocol]", split on single spaces */
    k = i;
    if (k >= req_end || p[k] < 'A' || p[k] > 'Z') return 0;
    while (k < req_end && ((p[k] >= 'A' && p[k] <= 'Z') || is_digit(p[k]) || p[k] == '_' || p[k] == '-')) k++;
    if (k - i > 20 || k >= req_end || p[k] != ' ') return 0;
    f->method = p + i;
    f->method_len = (int)(k - i);
    Py_ssize_t t = ++k;
    if (k >= req_end || p[k] != '/') return 0; /* an absolute target gives a host: Python */
    while (k < req_end && is_graph(p[k])) k++;
    Py_ssize_t target_end = k;
    if (k < req_end) {
        if (p[k] != ' ') return 0; /* a control character or a byte outside ASCII in the target: Python */
        k++;
        Py_ssize_t proto = k;
        if (k >= req_end || !((p[k] >= 'A' && p[k] <= 'Z') || (p[k] >= 'a' && p[k] <= 'z'))) return 0;
        while (k < req_end && ((p[k] >= 'A' && p[k] <= 'Z') || (p[k] >= 'a' && p[k] <= 'z') || is_digit(p[k]) ||
                               p[k] == '/' || p[k] == '.' || p[k] == '_' || p[k] == '-'))
            k++;
        if (k != req_end || k - proto > 16) return 0;
    }
    set_target(f, p, t, target_end);
    f->upstream_ms = -1;
    f->upstream_status = -1;
    f->no_header = 0;
    return 1;
}

/* ------------------------------------------------------------------------------------------ time */

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant's days_from_civil), y >= 1. */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int digits(const unsigned char *p, int n, int64_t *v) {
    int64_t x = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit(p[i])) return 0;
        x = x * 10 + (p[i] - '0');
    }
    *v = x;
    return 1;
}

/* The month of "Jan".."Dec" (1..12), 0 for anything else. */
static int month_of(const unsigned char *p) {
    static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    for (int i = 0; i < 12; i++)
        if (p[0] == names[3 * i] && p[1] == names[3 * i + 1] && p[2] == names[3 * i + 2]) return i + 1;
    return 0;
}

/* "dd/Mon/yyyy:HH:MM:SS +hhmm" exactly -> epoch seconds, as logformats/nginx_access.py _TimeCache.local reads
 * it (calendar.timegm, which takes any day and time of day the two digits give, minus the offset); 0 for
 * any other text (the Python parser then reads the line: year 0, say, which calendar.timegm refuses). */
static int clf_time(const unsigned char *p, Py_ssize_t n, double *t) {
    int64_t day, year, hh, mm, ss, oh, om;
    if (n != 26 || p[2] != '/' || p[6] != '/' || p[11] != ':' || p[14] != ':' || p[17] != ':' || p[20] != ' ' ||
        (p[21] != '+' && p[21] != '-'))
        return 0;
    int month = month_of(p + 3);
    if (!month || !digits(p, 2, &day) || !digits(p + 7, 4, &year) || year < 1 || !digits(p + 12, 2, &hh) ||
        !digits(p + 15, 2, &mm) || !digits(p + 18, 2, &ss) || !digits(p + 22, 2, &oh) || !digits(p + 24, 2, &om))
        return 0;
    int64_t epoch = ((days_from_civil(year, month, 1) + day - 1) * 24 + hh) * 3600 + mm * 60 + ss;
    int64_t offset = (oh * 3600 + om * 60) * (p[21] == '+' ? 1 : -1);
    *t = (double)(epoch - offset);
    return 1;
}

static int days_in_month(int64_t y, int64_t m) {
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return days[m - 1];
}

/* "dd/Mon/yyyy:HH:MM:SS +hhmm" exactly -> epoch seconds, as logformats/traefik_log.py parse_clf_time reads it
 * (its _epoch refuses a year before 1970, a day the month does not have, an hour past 23, a minute past 59,
 * a second past 60); 0 for anything else (the Python parser then reads the line). */
static int checked_clf_time(const unsigned char *p, Py_ssize_t n, double *t) {
    int64_t day = 0, year = 0, hh = 0, mm = 0, ss = 0, oh = 0, om = 0;
    if (!clf_time(p, n, t)) return 0;
    int month = month_of(p + 3);
    digits(p, 2, &day);
    digits(p + 7, 4, &year);
    digits(p + 12, 2, &hh);
    digits(p + 15, 2, &mm);
    digits(p + 18, 2, &ss);
    digits(p + 22, 2, &oh);
    digits(p + 24, 2, &om);
    if (year < 1970 || year > 9999 || day < 1 || day > days_in_month(year, month) || hh > 23 || mm > 59 || ss > 60)
        return 0;
    /* parse_offset: an offset past 23 hours or 59 minutes counts as none */
    double offset = (oh > 23 || om > 59) ? 0.0 : (double)((oh * 3600 + om * 60) * (p[21] == '-' ? -1 : 1));
    int64_t epoch = ((days_from_civil(year, month, 1) + day - 1) * 24 + hh) * 3600 + mm * 60 + ss;
    *t = (double)epoch - offset;
    return 1;
}

/* A tcplog line (haproxy_log._TCPLOG, after the head): "%Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq" and
 * nothing after it. f gets the duration (%Tt, ms; "+": logasap; negative: none) and *ts the 2-character state;
 * fe and be as haproxy_head gives them. 0: anything else, for Python. */
static int parse_haproxy_tcp_line(const unsigned char *p, Py_ssize_t end, Fields *f, const unsigned char **fe,
                                  Py_ssize_t *fe_len, const unsigned char **be, Py_ssize_t *be_len,
                                  const unsigned char **ts) {
    int ok;
    Py_ssize_t i = haproxy_head(p, end, f, fe, fe_len, be, be_len);
    if (i < 0) return 0;
    for (int t = 0; t < 2; t++) { /* %Tw/%Tc/ */
        signed_number(p, &i, end, 0, 1, 10, &ok);
        if (!ok || !expect_byte(p, &i, end, '/')) return 0;
    }
    long long total = signed_number(p, &i, end, 1, 1, 10, &ok);
    if (!ok || !expect_byte(p, &i, end, ' ')) return 0;
    f->request_ms = total >= 0 ? total : -1;
    signed_number(p, &i, end, 1, 1, 20, &ok); /* %B */
    if (!ok || !expect_byte(p, &i, end, ' ')) return 0;
    if (i + 3 > end || p[i + 2] != ' ') return 0;
    for (int c = 0; c < 2; c++)
        if (!((p[i + c] >= 'A' && p[i + c] <= 'Z') || (p[i + c] >= 'a' && p[i + c] <= 'z') || p[i + c] == '-'))
            return 0;
    *ts = p + i;
    i += 3;
    for (int c = 0; c < 5; c++) { /* %ac/%fc/%bc/%sc/%rc %sq/%bq, then the end */
        signed_number(p, &i, end, 1, 0, 10, &ok);
        if (!ok || !expect_byte(p, &i, end, c < 4 ? '/' : ' ')) return 0;
    }
    signed_number(p, &i, end, 0, 0, 10, &ok);
    if (!ok || !expect_byte(p, &i, end, '/')) return 0;
    signed_number(p, &i, end, 0, 0, 10, &ok);
    if (!ok || i != end) return 0;
    f->path = NULL;
    f->path_len = 0;
    f->method = (const unsigned char *)"";
    f->method_len = 0;
    f->status = -1;
    f->upstream_ms = -1;
    f->upstream_status = -1;
    return 1;
}

/* HAPROXY_TCP: the route of a TCP session, "(tcp frontend/backend)", exactly as ScanAggregate.add_request
 * names it (no template: the route is not a path); -1 on error. */
static int32_t stream_route(Scanner *s, const unsigned char *fe, Py_ssize_t fe_len, const unsigned char *be,
                            Py_ssize_t be_len) {
    unsigned char text[5 + 128 + 1 + 128 + 1];
    Py_ssize_t n = 5;
    memcpy(text, "(tcp ", 5);
    memcpy(text + n, fe, (size_t)fe_len);
    n += fe_len;
    text[n++] = '/';
    memcpy(text + n, be, (size_t)be_len);
    n += be_len;
    text[n++] = ')';
    uint64_t h;
    int found;
    Py_ssize_t j = segcache_slot(&s->streams, text, n, &h, &found);
    if (j < 0) return -1;
    if (found) return s->streams.slots[j].id;
    PyObject *str = PyUnicode_DecodeASCII((const char *)text, n, "strict"); /* (the names are is_graph) */
    if (!str) return -1;
    int32_t route = route_of_text(s, str);
    Py_DECREF(str);
    if (route < 0 || segcache_store(&s->streams, j, h, text, n, route) < 0) return -1;
    return route;
}

/* HAProxy's %tr, "dd/Mon/yyyy:hh:mm:ss[.ffffff]", as parse_clf_time reads it with no offset: _epoch's checks,
 * then the fraction added (int(frac) / 10 ** len(frac)). 0 for anything else. */
static int haproxy_time(const unsigned char *p, Py_ssize_t n, double *t) {
    unsigned char clf[26];
    if (n < 20) return 0;
    memcpy(clf, p, 20);
    memcpy(clf + 20, " +0000", 6);
    if (!checked_clf_time(clf, 26, t)) return 0;
    if (n > 20) {
        int64_t frac;
        if (p[20] != '.' || n - 21 < 1 || n - 21 > 6 || !digits(p + 21, (int)(n - 21), &frac)) return 0;
        *t += (double)frac / POW10[n - 21];
    }
    return 1;
}

/* Whether needle[0..m) occurs in p[0..n) (memmem is not in every C library). */
static int holds_bytes(const unsigned char *p, Py_ssize_t n, const unsigned char *needle, Py_ssize_t m) {
    if (m <= 0 || m > n) return m <= 0;
    const unsigned char *end = p + (n - m) + 1;
    for (const unsigned char *at = p; at < end;) {
        const unsigned char *hit = memchr(at, needle[0], (size_t)(end - at));
        if (!hit) return 0;
        if (memcmp(hit, needle, (size_t)m) == 0) return 1;
        at = hit + 1;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------ JSON */

/* What the reader does with a key's value (fastpath.py gives the table, from nginx_access.FAST_ROLES). */
enum {
    J_SKIP = 0,     /* not read */
    J_KEY = 1,      /* read as it is: its bytes go in the group key */
    J_REQUEST = 2,  /* "METHOD target HTTP/x.y" */
    J_STATUS = 3,   /* three digits */
    J_DURATION = 4, /* a number of seconds, "" or "-" (none) */
    J_RESPONSE = 5, /* the upstream's response time: a value, and whether there is one, in the key */
    J_PRESENCE = 6, /* an upstream time: only "", "-" or a number, in the key */
    J_UPSTREAM = 7, /* $upstream_addr, $upstream_status: one try (no ',', no ' : '), in the key */
    J_TIME = 8,     /* an ISO 8601 time */
    J_PYTHON = 9,   /* a key this path does not read (several times, $request_uri ...): the line goes to Python */
    J_OBJECT = 10,  /* an object whose keys are looked up as "<this key>.<its key>" */
    J_TARGET = 11,  /* a request target alone (an origin-form path and query) */
    J_EQUALS = 12,  /* a string that must be exactly `expect` (else the reader refuses the line: Python) */
    J_PREFIX = 13,  /* a string that must start with `expect` */
    J_SECONDS = 14, /* a number of seconds, a number token only (Caddy: an integer of 1000 or more is
                     * nanoseconds, a string a Go duration: Python) */
    J_EPOCH = 15,   /* a time as epoch seconds, a number token (0 <= t < 1e11) */
    J_UNITS = 16,   /* a duration as a non-negative integer token in whole units of `expect`: "ns" (Traefik's
                     * Duration, up to 15 digits) or "ms" (Envoy's duration, up to 9 digits); kept in nanoseconds */
    J_START = 17,   /* when the request started, "YYYY-MM-DDThh:mm:ss[.f{1,9}]Z" (Traefik's StartUTC, Envoy's
                     * start_time): the line's time is it plus the line's duration, when it has one */
    J_CLF = 18,     /* a text field's "dd/Mon/yyyy:hh:mm:ss +hhmm" ($time_local): parse_fields_line reads it */
    J_DECIMAL = 19, /* a text field's decimal number of seconds ($msec) */
    J_TIME_ALT = 21, /* nginx's $time, read when $time_iso8601 is empty or missing (nginx_time) */
    J_MS_SUM = 22,   /* a text field's digits of milliseconds, added to the duration (Heroku: connect + service) */
    J_ISO_UTC = 23,  /* a text field's "YYYY-MM-DDThh:mm:ss[.f{1,9}]" then "Z" or "+00:00" (traefik_log.parse_iso_time):
                      * the line's time */
    J_ISO_START = 24, /* as J_ISO_UTC, when the request started: the line's time is it plus the duration (J_START) */
    J_METHOD = 25,    /* a request method, "[A-Z][A-Z0-9_-]*" or "-" (envoy_log._TEXT): its bytes in the group key */
    J_CLF_START = 20, /* a text field's "dd/Mon/yyyy:hh:mm:ss +hhmm" when the request started (Traefik's CLF): the
                       * line's time is it plus the duration, as J_START */
    J_UNIT_DURATION = 26, /* a text field's duration with its unit, "29s", "18ms", "412μs", "950ns" or "-" (Sōzu,
                           * sozu_log.parse_sozu_duration): the request's duration */
    J_UNIT_RESPONSE = 27, /* as J_UNIT_DURATION: the upstream's response time, and whether there is one, in the key */
    J_UNIT_CHECK = 28,    /* as J_UNIT_DURATION: a duration the reader checks but does not keep */
    J_STATUS_HTTP = 29,   /* three digits, the first not 0 (sozu_log: "\d{3}" and not "0.."), or "-" (none: 0) */
    /* Sōzune's JSON (sozune_log._parse_json; read_plain_value): `expect` is a decimal number, JsonKey.limit */
    J_TEXT = 30,       /* a string without escapes, of 1 to `limit` bytes: its bytes in the group key (_str(v, limit):
                        * a number, true/false/null, "", a longer string: Python) */
    J_INT_STATUS = 31, /* a JSON integer token from 100 to 999: the status (_number, then its 100..999 check; a
                        * string "200", a float 200.0: Python) */
    J_INT_UNITS = 32,  /* a JSON integer token of at most `limit`: the duration, as it is, in the shape's units
                        * (Sōzune's duration_ms: per_second 1000; a float, a string, a sign: Python) */
    /* Caddy's runtime log (caddy_log.parse_runtime_line, RUNTIME_FAST_KEYS): */
    J_NEEDLES = 33,     /* a string without escapes of at most NEEDLE_TEXT bytes: the first of `expect`'s
                         * '|'-separated words it holds (their order, 1 based; 0: none), in the group key */
    J_PREFIX_FLAG = 34, /* whether the value is a string that starts with `expect` (a number: not a string), in the
                         * group key and in Fields.flag */
    J_ONE_OF = 35,      /* a string that is one of `expect`'s '|'-separated words (else the reader refuses it) */
};
#define NEEDLE_TEXT 2048 /* caddy_log: the kinds are looked for in msg[:2048]; a longer msg goes to Python */
#define MAX_JSON_KEYS 128
#define MAX_JSON_VARS 62
#define MAX_EXTRA 4096

typedef struct JsonKeyS {
    unsigned char name[64];
    int len, role, var, required, next;
    int exact; /* a key of a user's JSON log_format: looked up as it is, before the lower-cased aliases */
    int plen;  /* a nested key ("parent.child", under a J_OBJECT key "parent"): the length of "parent."; else 0 */
    unsigned char expect[256];
    int expect_len;
    long long limit; /* J_TEXT, J_INT_UNITS: `expect` read as a decimal number */
} JsonKey;

#define JSON_MEMO 64 /* the keys of a line remembered, by their place (json_key) */

typedef struct JsonMemoS {
    int parent;             /* the key whose object held it (-1: the line's own); -2: nothing yet */
    int key;                /* its entry in the key table, -1: not read */
    int len;                /* the name's length */
    int colon;              /* 1: the ':' came right after the closing quote, and raw holds it too */
    unsigned char raw[66];  /* the name's bytes as they were in the line, then its closing quote (and ':') */
    int start_ok;           /* 1: a J_START time in this place on an earlier line began with the 19 bytes */
    unsigned char start[19]; /* "YYYY-MM-DDThh:mm:ss", which alb_time read as */
    int64_t start_whole;    /* these whole seconds */
} JsonMemo;

static inline void skip_ws(const unsigned char *p, Py_ssize_t *i, Py_ssize_t end) {
    while (*i < end && p[*i] <= ' ' && (p[*i] == ' ' || p[*i] == '\t' || p[*i] == '\n' || p[*i] == '\r')) (*i)++;
}

/* A JSON string at p[*i] (its opening quote): its contents' end (the closing quote's index), *i past the
 * closing quote; *escaped set if it holds a backslash. -1 if it is not a valid JSON string as json.loads reads
 * it (strict: no raw control character). */
static HOT_INLINE Py_ssize_t json_string(const unsigned char *p, Py_ssize_t *i, Py_ssize_t end, int *escaped) {
    Py_ssize_t k = *i;
    if (k >= end || p[k] != '"') return -1;
    k++;
    *escaped = 0;
    while (k < end) {
#ifdef JSON_SSE2
        if (k + 16 <= end) {
            /* the plain bytes, 16 at a time: a byte is special if it is '"', '\\' or at most 0x1f (min(b, 0x1f) == b,
             * unsigned); the scan goes to the first special byte, which the checks below read (bytes >= 0x80 are
             * plain, as they are there) */
            __m128i w = _mm_loadu_si128((const __m128i *)(const void *)(p + k));
            __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(w, _mm_set1_epi8('"')),
                                                    _mm_cmpeq_epi8(w, _mm_set1_epi8('\\'))),
                                       _mm_cmpeq_epi8(_mm_min_epu8(w, _mm_set1_epi8(0x1f)), w));
            int m = _mm_movemask_epi8(hit);
            if (!m) {
                k += 16;
                continue;
            }
            k += __builtin_ctz((unsigned)m);
        } else
#endif
        if (k + 8 <= end) {
            /* the plain bytes, 8 at a time while none of them is '"', '\\' or a control character */
            uint64_t w;
            memcpy(&w, p + k, 8);
            uint64_t quote = w ^ 0x2222222222222222ULL, slash = w ^ 0x5c5c5c5c5c5c5c5cULL;
            uint64_t low = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
            /* a byte of w is 0x22, 0x5c or below 0x20 (the haszero and hasless tricks; bytes >= 0x80 are plain) */
            uint64_t hit = ((quote - low) & ~quote) | ((slash - low) & ~slash) | ((w - 0x2020202020202020ULL) & ~w);
            if (!(hit & high)) {
                k += 8;
                continue;
            }
        }
        unsigned char c = p[k]; /* (plain, after the 8-byte scan's false alarm, or byte by byte at the end) */
        if (c == '"') {
            *i = k + 1;
            return k;
        }
        if (c < 0x20) return -1;
        if (c == '\\') {
            *escaped = 1;
            if (k + 1 >= end) return -1;
            unsigned char e = p[k + 1];
            if (e == 'u') {
                if (k + 6 > end) return -1;
                for (int h = 2; h < 6; h++) {
                    unsigned char x = p[k + h];
                    if (!(is_digit(x) || (x >= 'a' && x <= 'f') || (x >= 'A' && x <= 'F'))) return -1;
                }
                k += 6;
                continue;
            }
            if (!(e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' || e == 't'))
                return -1;
            k += 2;
            continue;
        }
        k++;
    }
    return -1;
}

/* A JSON number token (RFC 8259 grammar) at p[*i]: 1 with *i past it, 0 if there is none. An integer of more
 * than 640 digits is 0 too: json.loads makes an int of it, and int() refuses more digits than
 * sys.get_int_max_str_digits() (4300 by default, never under 640 unless 0: no limit), so the reader refuses the
 * line (ValueError) where this walker would read it. */
static HOT_INLINE int json_number(const unsigned char *p, Py_ssize_t *i, Py_ssize_t end) {
    Py_ssize_t k = *i;
    if (k < end && p[k] == '-') k++;
    if (k >= end || !is_digit(p[k])) return 0;
    Py_ssize_t first = k;
    if (p[k] == '0') {
        k++;
    } else {
        while (k < end && is_digit(p[k])) k++;
    }
    if (k - first > 640 && !(k < end && (p[k] == '.' || p[k] == 'e' || p[k] == 'E'))) return 0;
    if (k < end && p[k] == '.') {
        k++;
        Py_ssize_t d = k;
        while (k < end && is_digit(p[k])) k++;
        if (k == d) return 0;
    }
    if (k < end && (p[k] == 'e' || p[k] == 'E')) {
        k++;
        if (k < end && (p[k] == '+' || p[k] == '-')) k++;
        Py_ssize_t d = k;
        while (k < end && is_digit(p[k])) k++;
        if (k == d) return 0;
    }
    *i = k;
    return 1;
}

/* Skip any JSON value at p[*i], checking it: 1, or 0 when json.loads would refuse it (or it nests deeper
 * than this path follows: Python then reads the line). NaN and Infinity, which json.loads takes, go to Python. */
static int json_skip(const unsigned char *p, Py_ssize_t *i, Py_ssize_t end, int depth) {
    int escaped;
    if (*i >= end || depth > 32) return 0;
    unsigned char c = p[*i];
    if (c == '"') return json_string(p, i, end, &escaped) >= 0;
    if (c == '-' || is_digit(c)) return json_number(p, i, end);
    if (c == 't' && end - *i >= 4 && memcmp(p + *i, "true", 4) == 0) return (*i += 4), 1;
    if (c == 'f' && end - *i >= 5 && memcmp(p + *i, "false", 5) == 0) return (*i += 5), 1;
    if (c == 'n' && end - *i >= 4 && memcmp(p + *i, "null", 4) == 0) return (*i += 4), 1;
    if (c != '{' && c != '[') return 0;
    unsigned char close = c == '{' ? '}' : ']';
    (*i)++;
    skip_ws(p, i, end);
    if (*i < end && p[*i] == close) return (*i)++, 1;
    for (;;) {
        if (c == '{') {
            if (json_string(p, i, end, &escaped) < 0) return 0;
            skip_ws(p, i, end);
            if (*i >= end || p[*i] != ':') return 0;
            (*i)++;
            skip_ws(p, i, end);
        }
        if (!json_skip(p, i, end, depth + 1)) return 0;
        skip_ws(p, i, end);
        if (*i >= end) return 0;
        if (p[*i] == close) return (*i)++, 1;
        if (p[*i] != ',') return 0;
        (*i)++;
        skip_ws(p, i, end);
    }
}

/* "[0-9]{1,9}(.[0-9]{1,9})?" exactly p[a..b) -> nanoseconds (exact: the reader divides by 10**9 to get what
 * float() gives), or -1. */
static long long decimal_ns(const unsigned char *p, Py_ssize_t a, Py_ssize_t b) {
    Py_ssize_t k = a;
    long long whole = 0, frac = 0;
    while (k < b && is_digit(p[k])) whole = whole * 10 + (p[k++] - '0');
    if (k == a || k - a > 9) return -1;
    int places = 0;
    if (k < b) {
        if (p[k] != '.') return -1;
        k++;
        while (k < b && is_digit(p[k]) && places < 9) {
            frac = frac * 10 + (p[k++] - '0');
            places++;
        }
        if (places == 0 || k != b) return -1;
    }
    for (int z = places; z < 9; z++) frac *= 10;
    return whole * 1000000000LL + frac;
}

/* An ISO time as nginx_access._TimeCache.iso reads it, narrowed to the whole text being
 * "YYYY-MM-DD[T ]hh:mm:ss[.f{1,9}][Z|+hh:mm|+hhmm]": 1 with *t, 0 for anything else (Python reads it). */
static int iso_time(const unsigned char *p, Py_ssize_t n, double *t) {
    int64_t y = 0, mo = 0, d = 0, hh = 0, mi = 0, ss = 0;
    if (n < 19 || p[4] != '-' || p[7] != '-' || (p[10] != 'T' && p[10] != ' ') || p[13] != ':' || p[16] != ':' ||
        !digits(p, 4, &y) || !digits(p + 5, 2, &mo) || !digits(p + 8, 2, &d) || !digits(p + 11, 2, &hh) ||
        !digits(p + 14, 2, &mi) || !digits(p + 17, 2, &ss) || y < 1 || mo < 1 || mo > 12)
        return 0;
    double v = (double)(((days_from_civil(y, mo, 1) + d - 1) * 24 + hh) * 3600 + mi * 60 + ss);
    Py_ssize_t k = 19;
    if (k < n && p[k] == '.') {
        int64_t frac = 0;
        Py_ssize_t a = ++k;
        while (k < n && is_digit(p[k]) && k - a < 9) frac = frac * 10 + (p[k++] - '0');
        if (k == a || (k < n && is_digit(p[k]))) return 0;
        v += (double)frac / POW10[k - a]; /* float("0." + frac) */
    }
    if (k < n) {
        if (p[k] == 'Z') {
            k++;
        } else if (p[k] == '+' || p[k] == '-') {
            int64_t oh = 0, om = 0;
            int sign = p[k] == '+' ? 1 : -1;
            if (k + 3 > n || !digits(p + k + 1, 2, &oh)) return 0;
            k += 3;
            if (k < n && p[k] == ':') k++;
            if (k + 2 > n || !digits(p + k, 2, &om)) return 0;
            k += 2;
            v -= (double)(sign * (oh * 3600 + om * 60));
        } else {
            return 0;
        }
    }
    if (k != n || v == 0.0) return 0; /* (a time of 0.0 reads as none: `iso(...) or local(...)`) */
    *t = v;
    return 1;
}

static inline int append_extra(unsigned char *extra, int32_t *len, int var, int cls, const unsigned char *p,
                               Py_ssize_t n) {
    if (*len + 4 + n > MAX_EXTRA) return 0;
    extra[(*len)++] = (unsigned char)var;
    extra[(*len)++] = (unsigned char)cls;
    extra[(*len)++] = (unsigned char)(n >> 8);
    extra[(*len)++] = (unsigned char)n;
    memcpy(extra + *len, p, (size_t)n);
    *len += (int32_t)n;
    return 1;
}

/* Cut a request "METHOD /target[ HTTP/x.y]" p[a..b) as nginx_access.split_request (a JSON line's $request) and
 * nginx_error._REQUEST (an error line's request field) do, narrowed (an origin-form ASCII target, no control
 * character): 1 with the method and target in f. */
static int split_origin_request(const unsigned char *p, Py_ssize_t a, Py_ssize_t b, Fields *f) {
    Py_ssize_t k = a;
    if (k >= b || p[k] < 'A' || p[k] > 'Z') return 0;
    while (k < b && ((p[k] >= 'A' && p[k] <= 'Z') || p[k] == '_' || p[k] == '-')) k++;
    if (k - a > 20 || k >= b || p[k] != ' ') return 0;
    f->method = p + a;
    f->method_len = (int)(k - a);
    Py_ssize_t t = ++k;
    if (k >= b || p[k] != '/') return 0;
    while (k < b && is_graph(p[k])) k++;
    Py_ssize_t target_end = k;
    if (k < b) {
        if (b - k < 7 || memcmp(p + k, " HTTP/", 6) != 0 || b - k - 6 > 5) return 0;
        for (Py_ssize_t v = k + 6; v < b; v++)
            if (!is_digit(p[v]) && p[v] != '.') return 0;
    }
    set_target(f, p, t, target_end);
    return 1;
}

static inline int json_bucket(const unsigned char *name, int n) {
    return n ? (int)((n * 31u + name[0] * 7u + name[n - 1]) & 127u) : 0;
}

typedef struct {
    const JsonKey *keys;
    int n_keys;
    const int16_t *bucket; /* json_bucket(name) -> the first key there, -1: none; JsonKey.next chains them */
    int fold_case; /* nginx_access looks keys up lower-cased (after a user's exact keys); caddy_log as they are */
    int exact_keys; /* the table has exact keys (JsonKey.exact) */
    uint64_t seen_keys[2]; /* nginx: the entries read on this line (MAX_JSON_KEYS) */
    Fields *f;
    unsigned char *extra;
    int32_t *extra_len;
    uint64_t seen;
    JsonMemo *memo; /* the keys of the last lines, by their place in the line */
    int place;      /* keys read so far on this line */
} JsonLine;

/* memcmp(a, b, n) == 0 for the short names of JSON keys (1 <= n <= 64), without a call: 8 bytes at a time, the
 * last 8 (or 4) overlapping the ones before. */
static inline int same_bytes(const unsigned char *a, const unsigned char *b, size_t n) {
    uint64_t x, y;
    if (n >= 8) {
        for (size_t k = 0; k + 8 < n; k += 8) {
            memcpy(&x, a + k, 8);
            memcpy(&y, b + k, 8);
            if (x != y) return 0;
        }
        memcpy(&x, a + n - 8, 8);
        memcpy(&y, b + n - 8, 8);
        return x == y;
    }
    if (n >= 4) {
        uint32_t u, v, w, z;
        memcpy(&u, a, 4);
        memcpy(&v, b, 4);
        memcpy(&w, a + n - 4, 4);
        memcpy(&z, b + n - 4, 4);
        return u == v && w == z;
    }
    for (size_t k = 0; k < n; k++)
        if (a[k] != b[k]) return 0;
    return 1;
}

/* The key (its opening quote at p[*i]) of the object that the key `parent` holds (-1: the line's own object),
 * whose keys are named prefix + key (an entry of the table only where its name's prefix is that object's,
 * JsonKey.plen): *key its entry in the table (NULL: a key the reader does not read) and *i
 * past its closing quote, or past the ':' right after it when *colon is 1. 0: a key this path does not read
 * (escapes, bytes above 0x7f, too long): Python. */
static int json_key(JsonLine *c, const unsigned char *p, Py_ssize_t *i, Py_ssize_t end, int parent,
                    const unsigned char *prefix, int plen, const JsonKey **key, int *colon) {
    JsonMemo *m = c->place < JSON_MEMO ? &c->memo[c->place] : NULL;
    c->place++;
    /* The same bytes, closing quote included, as the key in this place on an earlier line, in an object of the
     * same key: json_string reads them alike (they hold no '"', no backslash, no control character) and the
     * lookup below finds the same entry (it reads nothing but the prefix, which the parent key fixes, and them).
     * With the ':' that followed it then, if it did (compact JSON, or "key": value), that ':' too. */
    if (m && m->parent == parent && end - *i > m->len + 1 + m->colon && p[*i] == '"' &&
        same_bytes(p + *i + 1, m->raw, (size_t)(m->len + 1 + m->colon))) {
        *key = m->key >= 0 ? &c->keys[m->key] : NULL;
        *i += m->len + 2 + m->colon;
        *colon = m->colon;
        return 1;
    }
    *colon = 0;
    int escaped;
    Py_ssize_t ka = *i + 1;
    Py_ssize_t kb = json_string(p, i, end, &escaped);
    if (kb < 0 || escaped || plen + (kb - ka) > 63) return 0;
    unsigned char name[64];
    memcpy(name, prefix, (size_t)plen);
    for (Py_ssize_t x = ka; x < kb; x++) {
        unsigned char b = p[x];
        if (b >= 0x80) return 0; /* str.lower() of a non-ASCII name may be an alias */
        name[plen + x - ka] = (c->fold_case && b >= 'A' && b <= 'Z') ? (unsigned char)(b + 32) : b;
    }
    int n = plen + (int)(kb - ka);
    *key = NULL;
    if (c->exact_keys && plen == 0) /* key_map.get(key) first (its keys are ASCII) */
        for (int k = c->bucket[json_bucket(p + ka, n)]; k >= 0; k = c->keys[k].next)
            if (c->keys[k].exact && c->keys[k].len == n && c->keys[k].plen == 0 &&
                memcmp(c->keys[k].name, p + ka, (size_t)n) == 0) {
                *key = &c->keys[k];
                break;
            }
    if (!*key) /* then ALIASES.get(key.lower()) */
        for (int k = c->bucket[json_bucket(name, n)]; k >= 0; k = c->keys[k].next)
            if (!c->keys[k].exact && c->keys[k].len == n && c->keys[k].plen == plen &&
                memcmp(c->keys[k].name, name, (size_t)n) == 0) {
                *key = &c->keys[k];
                break;
            }
    if (m) {
        m->parent = parent;
        m->key = *key ? (int)(*key - c->keys) : -1;
        m->len = (int)(kb - ka);
        m->colon = kb + 1 < end && p[kb + 1] == ':';
        memcpy(m->raw, p + ka, (size_t)(m->len + 1 + m->colon)); /* (the closing quote too, and the ':') */
    }
    return 1;
}

static int alb_time(const unsigned char *p, Py_ssize_t n, int max, int64_t *whole, int64_t *frac, double *t);
static int alb_fraction(const unsigned char *p, Py_ssize_t n, int max, int64_t whole, int64_t *frac, double *t);

/* p[a..b) as digits[.digits] (at least one digit, at most 18, at most 9 after the point) whose digits make an
 * integer of at most 2**53: it and 10**places are doubles exactly, so their quotient is the double nearest the
 * decimal, which is what float() gives (an IEEE division rounds to nearest; Clinger's fast path). 1 with *v; 0
 * for any other text (an exponent, a sign, more digits: the caller reads it another way or leaves it to Python). */
static int exact_decimal(const unsigned char *p, Py_ssize_t a, Py_ssize_t b, double *v) {
    int64_t mant = 0;
    int all = 0, places = -1;
    for (Py_ssize_t x = a; x < b; x++) {
        if (p[x] == '.' && places < 0) {
            places = 0;
            continue;
        }
        if (!is_digit(p[x]) || ++all > 18) return 0; /* (an exponent; or past int64's 18 digits) */
        mant = mant * 10 + (p[x] - '0');
        if (places >= 0) places++;
    }
    if (all == 0 || mant > (1LL << 53) || places > 9) return 0;
    *v = (double)mant / POW10[places < 0 ? 0 : places];
    return 1;
}

/* sozu_log.parse_sozu_duration of p[a..b): ASCII digits (at most 20) then "s", "ms", "us", "ns", "μs" or "µs", in
 * nanoseconds, at most ten years (_MAX_DURATION_S); "-" is none (-1). 1 with *ns; 0 for anything else (Python).
 * The reader divides the digits by the unit's count a second (int / int: the correctly rounded quotient), and
 * fastpath divides the nanoseconds by 10**9: the same rational number, rounded once, so the same double. */
#define UNIT_MAX_NS 315360000000000000LL /* ten years (10 * 365 * 86400 s) */
static int unit_ns(const unsigned char *p, Py_ssize_t a, Py_ssize_t b, long long *ns) {
    if (b - a == 1 && p[a] == '-') {
        *ns = -1;
        return 1;
    }
    Py_ssize_t x = a;
    long long n = 0;
    while (x < b && is_digit(p[x])) {
        if (x - a == 20 || n > UNIT_MAX_NS) return 0; /* (too long for the reader, or far too large) */
        n = n * 10 + (p[x] - '0');
        x++;
    }
    Py_ssize_t u = b - x;
    long long per = u == 1 && p[x] == 's'                                             ? 1000000000LL
                    : u == 2 && p[x + 1] == 's' && p[x] == 'm'                         ? 1000000LL
                    : u == 2 && p[x + 1] == 's' && p[x] == 'u'                         ? 1000LL
                    : u == 2 && p[x + 1] == 's' && p[x] == 'n'                         ? 1LL
                    : u == 3 && p[x + 2] == 's' && p[x] == 0xce && p[x + 1] == 0xbc   ? 1000LL /* μ, U+03BC */
                    : u == 3 && p[x + 2] == 's' && p[x] == 0xc2 && p[x + 1] == 0xb5   ? 1000LL /* µ, U+00B5 */
                                                                                       : 0;
    if (x == a || per == 0 || n > UNIT_MAX_NS / per) return 0;
    *ns = n * per;
    return 1;
}

/* J_TEXT, J_INT_STATUS and J_INT_UNITS (Sōzune's JSON: sozune_log._str and _number): the value p[va..vb), a
 * string without escapes (json_object refuses escapes for every role but J_KEY) or a number token (`number`: the
 * JSON grammar already checked, so no leading zero), into f and extra: 1, or 0 for Python. */
static int read_plain_value(const JsonKey *key, const unsigned char *p, Py_ssize_t va, Py_ssize_t vb, int number,
                            Fields *f, unsigned char *extra, int32_t *extra_len) {
    Py_ssize_t vn = vb - va;
    if (key->role == J_TEXT) {
        /* _str's limit counts characters: the line is decoded as UTF-8 (invalid bytes replaced), each character
         * from one byte or more, so 1 to `limit` bytes make 1 to `limit` characters; the bytes go in the key as
         * they are (the same bytes decode to the same text) */
        if (number || vn < 1 || vn > key->limit) return 0;
        return append_extra(extra, extra_len, key->var, 0, p + va, vn);
    }
    /* an integer: digits only (no '-', '.' or exponent); float() of it is exact (at most 18 digits: below 2**63,
     * and the limits, 999 and Sōzune's ten years of milliseconds, are below 2**53) */
    if (!number || vn < 1 || vn > 18) return 0;
    long long n = 0;
    for (Py_ssize_t x = va; x < vb; x++) {
        if (!is_digit(p[x])) return 0;
        n = n * 10 + (p[x] - '0');
    }
    if (key->role == J_INT_STATUS) {
        if (n < 100 || n > 999) return 0;
        f->status = (int)n;
        return 1;
    }
    if (n > key->limit) return 0;
    f->request_ms = n;
    return 1;
}

/* J_NEEDLES, J_ONE_OF: the place (1 based) of the first of `key`'s '|'-separated words that v[0..n) holds
 * (`contains`) or is; 0: none. */
static int which_word(const JsonKey *key, const unsigned char *v, Py_ssize_t n, int contains) {
    int at = 0;
    for (int a = 0; a < key->expect_len; at++) {
        int b = a;
        while (b < key->expect_len && key->expect[b] != '|') b++;
        if (b > a && (contains ? holds_bytes(v, n, key->expect + a, b - a)
                               : b - a == n && memcmp(v, key->expect + a, (size_t)n) == 0))
            return at + 1;
        a = b + 1;
    }
    return 0;
}

/* What the reader makes of the value p[va..vb) of a key (or a text field) with `key`'s role and variable, into f
 * and the group key's extra bytes: 1, or 0 for a value this path does not read (Python). `number`: a JSON number
 * token (else a string, or a text field's bytes); `escaped`: a string with escapes (J_KEY only); `m`: the memo of
 * the key's place in the line (J_START), or NULL. */
static HOT_INLINE int read_value(const JsonKey *key, const unsigned char *p, Py_ssize_t va, Py_ssize_t vb, int number,
                                 int escaped, Fields *f, unsigned char *extra, int32_t *extra_len, JsonMemo *m) {
    int role = key->role, var = key->var;
    Py_ssize_t vn = vb - va;
    int cls = vn == 0 ? 0 : (vn == 1 && p[va] == '-') ? 1 : 2; /* "", "-", a value */
    switch (role) {
    case J_KEY:
        if (!append_extra(extra, extra_len, var, number, p + va, vn)) return 0;
        break;
    case J_UPSTREAM:
        for (Py_ssize_t x = va; x < vb; x++)
            if (p[x] == ',' || !is_graph(p[x])) return 0; /* several tries, or spaces: Python */
        if (!append_extra(extra, extra_len, var, number, p + va, vn)) return 0;
        break;
    case J_REQUEST:
        if (number || !split_origin_request(p, va, vb, f)) return 0;
        break;
    case J_TARGET: {
        /* (longer than 16384 bytes: envoy_log._text drops such a path; Python) */
        if (number || vn == 0 || vn > 16384 || p[va] != '/') return 0;
        Py_ssize_t x = va;
        while (x < vb && is_graph(p[x])) x++;
        if (x != vb) return 0;
        set_target(f, p, va, vb);
        break;
    }
    case J_STATUS:
        if (vn != 3 || !is_digit(p[va]) || !is_digit(p[va + 1]) || !is_digit(p[va + 2])) return 0;
        f->status = (p[va] - '0') * 100 + (p[va + 1] - '0') * 10 + (p[va + 2] - '0');
        break;
    case J_DURATION:
    case J_RESPONSE:
    case J_PRESENCE: {
        long long ns = -1;
        if (cls == 2 && (ns = decimal_ns(p, va, vb)) < 0) return 0;
        if (role == J_DURATION) {
            f->request_ms = ns;
        } else {
            if (role == J_RESPONSE) f->upstream_ms = ns;
            if (!append_extra(extra, extra_len, var, cls, p, 0)) return 0;
        }
        break;
    }
    case J_SECONDS: {
        long long ns;
        if (!number || (ns = decimal_ns(p, va, vb)) < 0) return 0;
        if (!memchr(p + va, '.', (size_t)vn) && ns >= 1000LL * 1000000000LL) return 0;
        f->request_ms = ns;
        break;
    }
    case J_TIME:
        if (number) return 0;
        f->stamp = p + va;
        f->stamp_len = vn;
        break;
    case J_EPOCH: {
        if (!number || vn > 40 || p[va] == '-') return 0;
        double v;
        if (exact_decimal(p, va, vb, &v)) {
            if (!(v < 1e11)) return 0;
            f->epoch = v;
            f->stamp = p + va;
            f->stamp_len = -1;
            break;
        }
        char text[48];
        memcpy(text, p + va, (size_t)vn);
        text[vn] = 0;
        v = PyOS_string_to_double(text, NULL, NULL); /* what float() gives */
        if (v == -1.0 && PyErr_Occurred()) {
            PyErr_Clear();
            return 0;
        }
        if (!(v >= 0 && v < 1e11)) return 0;
        f->epoch = v;
        f->stamp = p + va; /* (a time is there) */
        f->stamp_len = -1;
        break;
    }
    case J_UNITS: {
        /* traefik_log: nonneg_seconds(to_float(Duration), 1e9); envoy_log: nonneg_seconds(to_float(duration),
         * 1000). A JSON integer (no '-', '.' or exponent: json_number has checked the grammar, so no
         * leading zero either) of at most 15 digits is below 2**53: float() of it is exact, and so is it
         * in nanoseconds (ms: at most 9 digits, times 10**6, still below 2**53). fastpath.py divides the
         * nanoseconds by 10**9 (int / int, the correctly rounded quotient), which is the double the reader's
         * float(n) / 1e9, or float(n) / 1000, gives: the same rational number rounded once. Under 1e9 s,
         * so nonneg_seconds keeps it. Negative, fractional, a string, true/false/null: Python. */
        int ms = key->expect_len == 2 && key->expect[0] == 'm';
        if (!number || vn > (ms ? 9 : 15)) return 0;
        long long n = 0;
        for (Py_ssize_t x = va; x < vb; x++) {
            if (!is_digit(p[x])) return 0;
            n = n * 10 + (p[x] - '0');
        }
        f->request_ms = ms ? n * 1000000LL : n;
        break;
    }
    case J_START: {
        /* traefik_log.parse_iso_time of the text (alb_time: exactly its regex, narrowed to a 'T' and 'Z',
         * and _epoch's checks and arithmetic); the scan adds the duration as the readers do
         * (start + nonneg_seconds(...)). A string without escapes only (at most 30 bytes: _str's and
         * _text's limit of 64 holds). Anything else ("-", null, an offset, a number): Python. */
        int64_t whole, frac;
        if (number || escaped) return 0;
        /* the date and time of the one in this place on the line before, mostly: alb_time's checks and
         * arithmetic of them (alb_seconds) read nothing else, so only the rest is read again */
        if (m && m->start_ok && vn >= 20 && same_bytes(p + va, m->start, 19)) {
            if (!alb_fraction(p + va, vn, 9, m->start_whole, &frac, &f->epoch)) return 0;
        } else {
            if (!alb_time(p + va, vn, 9, &whole, &frac, &f->epoch)) return 0;
            if (m) {
                memcpy(m->start, p + va, 19);
                m->start_whole = whole;
                m->start_ok = 1;
            }
        }
        f->stamp = p + va;
        f->stamp_len = -2;
        break;
    }
    case J_CLF: /* a text field: $time_local; parse_fields_line reads it */
        f->clf = p + va;
        f->clf_len = vn;
        break;
    case J_CLF_START: /* a text field: traefik_log.parse_clf_time of the start, "dd/Mon/yyyy:hh:mm:ss +hhmm" */
        if (!checked_clf_time(p + va, vn, &f->epoch)) return 0;
        f->stamp = p + va;
        f->stamp_len = -2;
        break;
    case J_DECIMAL: /* nginx's $msec: parse_float(v) of "", "-" or digits[.digits] (anything else: Python) */
        f->has_decimal = cls == 2;
        if (cls == 2 && !exact_decimal(p, va, vb, &f->decimal)) return 0;
        break;
    case J_MS_SUM: /* heroku_log._ms of digits (at most 12: the field's bound), summed as (connect or 0) + (service
                    * or 0), in ns: fastpath divides the sum by 10**9, the double of the reader's sum / 1000 */
        if (!number || vn > 12) return 0;
        {
            long long n = 0;
            for (Py_ssize_t x = va; x < vb; x++) n = n * 10 + (p[x] - '0');
            f->request_ms = (f->request_ms < 0 ? 0 : f->request_ms) + n * 1000000LL;
        }
        break;
    case J_UNIT_DURATION:
    case J_UNIT_RESPONSE:
    case J_UNIT_CHECK: {
        long long ns;
        if (!unit_ns(p, va, vb, &ns)) return 0;
        if (role == J_UNIT_DURATION) {
            f->request_ms = ns;
        } else if (role == J_UNIT_RESPONSE) {
            f->upstream_ms = ns;
            if (!append_extra(extra, extra_len, var, ns < 0 ? 1 : 2, p, 0)) return 0;
        }
        break;
    }
    case J_STATUS_HTTP:
        if (vn == 1 && p[va] == '-') {
            f->status = 0; /* (no status: the reader's None; no status of three digits is 0) */
            break;
        }
        if (vn != 3 || p[va] < '1' || p[va] > '9' || !is_digit(p[va + 1]) || !is_digit(p[va + 2])) return 0;
        f->status = (p[va] - '0') * 100 + (p[va + 1] - '0') * 10 + (p[va + 2] - '0');
        break;
    case J_METHOD:
        if (!(vn == 1 && p[va] == '-') && !(vn > 0 && p[va] >= 'A' && p[va] <= 'Z')) return 0;
        if (!append_extra(extra, extra_len, var, 0, p + va, vn)) return 0;
        break;
    case J_ISO_START:
    case J_ISO_UTC: { /* alb_time's exact reading; "+00:00" is parse_offset's 0.0, as "Z" is */
        unsigned char text[40];
        int64_t whole, frac;
        if (vn > 36 || vn < 20) return 0;
        memcpy(text, p + va, (size_t)vn);
        Py_ssize_t n = vn;
        if (n > 26 && memcmp(text + n - 6, "+00:00", 6) == 0) {
            n -= 5;
            text[n - 1] = 'Z';
        }
        if (!alb_time(text, n, 9, &whole, &frac, &f->epoch)) return 0;
        f->stamp = p + va;
        f->stamp_len = role == J_ISO_START ? -2 : -1;
        break;
    }
    case J_TIME_ALT:
        if (number) return 0;
        f->stamp2 = p + va;
        f->stamp2_len = vn;
        break;
    case J_EQUALS:
    case J_PREFIX:
        if (number || escaped || vn < key->expect_len || (role == J_EQUALS && vn != key->expect_len) ||
            memcmp(p + va, key->expect, (size_t)key->expect_len) != 0)
            return 0;
        break;
    case J_TEXT:
    case J_INT_STATUS:
    case J_INT_UNITS:
        return read_plain_value(key, p, va, vb, number, f, extra, extra_len);
    case J_NEEDLES: {
        if (number || vn > NEEDLE_TEXT) return 0;
        unsigned char which = (unsigned char)which_word(key, p + va, vn, 1);
        if (!append_extra(extra, extra_len, var, 0, &which, 1)) return 0;
        break;
    }
    case J_PREFIX_FLAG: {
        unsigned char yes = !number && vn >= key->expect_len && memcmp(p + va, key->expect, (size_t)key->expect_len) == 0;
        f->flag = yes;
        if (!append_extra(extra, extra_len, var, 0, &yes, 1)) return 0;
        break;
    }
    case J_ONE_OF:
        if (number || !which_word(key, p + va, vn, 0)) return 0;
        break;
    default:
        return 0;
    }
    return 1;
}

/* The object at p[*i] (its '{'), held by the key `parent` (-1: the line's own), its keys named prefix + key: 1,
 * or 0 for Python (see J_*). */
static int json_object(JsonLine *c, const unsigned char *p, Py_ssize_t *i, Py_ssize_t end, int parent,
                       const unsigned char *prefix, int plen) {
    int escaped = 0;
    if (*i >= end || p[*i] != '{') return 0;
    (*i)++;
    skip_ws(p, i, end);
    if (*i < end && p[*i] == '}') return (*i)++, 1;
    for (;;) {
        const JsonKey *key;
        int colon;
        if (!json_key(c, p, i, end, parent, prefix, plen, &key, &colon)) return 0;
        int role = key ? key->role : J_SKIP, var = key ? key->var : 0;
        if (!colon) {
            skip_ws(p, i, end);
            if (*i >= end || p[*i] != ':') return 0;
            (*i)++;
        }
        skip_ws(p, i, end);
        if (role == J_PYTHON) return 0;
        if (role != J_SKIP) {
            /* a variable twice: the reader keeps the last. nginx's: each of its keys read once, the value read
             * last here is the one it keeps (a key and value in the group key stay there: finer groups); a key
             * twice (json.loads keeps its first place and its last value) or an entry twice ("rt", "RT"), or
             * the other readers' aliases (which share a variable): the reader's order decides, Python */
            if (var < 0 || var >= MAX_JSON_VARS || ((c->seen >> var) & 1 && !c->fold_case)) return 0;
            if (c->fold_case) {
                int k = (int)(key - c->keys);
                if ((c->seen_keys[k >> 6] >> (k & 63)) & 1) return 0;
                c->seen_keys[k >> 6] |= 1ULL << (k & 63);
            }
            c->seen |= 1ULL << var;
        }
        if (role == J_SKIP) { /* (json_skip, its two commonest cases first: no call for them) */
            unsigned char v = *i < end ? p[*i] : 0;
            if (v == '"') {
                if (json_string(p, i, end, &escaped) < 0) return 0;
            } else if (is_digit(v)) {
                if (!json_number(p, i, end)) return 0;
            } else if (!json_skip(p, i, end, 0)) {
                return 0;
            }
        } else if (role == J_OBJECT) {
            unsigned char name[64];
            int n = key->len;
            memcpy(name, key->name, (size_t)n);
            name[n] = '.';
            if (n + 1 > 63 || !json_object(c, p, i, end, (int)(key - c->keys), name, n + 1)) return 0;
        } else {
            /* a string without escapes, or a number: what the reader makes a str of */
            Py_ssize_t va, vb;
            int number = !(*i < end && p[*i] == '"');
            if (!number) {
                va = *i + 1;
                vb = json_string(p, i, end, &escaped);
                if (vb < 0 || (escaped && role != J_KEY)) return 0;
            } else {
                va = *i;
                if (!json_number(p, i, end)) return 0; /* true, false, null: the reader drops the key */
                vb = *i;
                if (role == J_KEY && (p[va] == '-' || memchr(p + va, '.', (size_t)(vb - va)) ||
                                      memchr(p + va, 'e', (size_t)(vb - va)) || memchr(p + va, 'E', (size_t)(vb - va))))
                    return 0; /* str() of a float is not its text: Python */
            }
            if (!read_value(key, p, va, vb, number, escaped, c->f, c->extra, c->extra_len,
                            role == J_START && c->place <= JSON_MEMO ? &c->memo[c->place - 1] : NULL))
                return 0;
        }
        skip_ws(p, i, end);
        if (*i >= end) return 0;
        if (p[*i] == '}') return (*i)++, 1;
        if (p[*i] != ',') return 0;
        (*i)++;
        skip_ws(p, i, end);
    }
}

/* 1: a JSON line the reader reads (narrowed: see J_*), fields filled and the rest of the key in extra[0..*len);
 * 0: anything else, for Python. */
static int parse_json_line(const JsonKey *keys, int n_keys, const int16_t *bucket, int fold_case, int exact_keys,
                           JsonMemo *memo, const unsigned char *p, Py_ssize_t end, Fields *f, unsigned char *extra,
                           int32_t *extra_len, int need_path) {
    JsonLine c = {.keys = keys, .n_keys = n_keys, .bucket = bucket, .fold_case = fold_case, .exact_keys = exact_keys,
                  .f = f, .extra = extra, .extra_len = extra_len, .memo = memo};
    Py_ssize_t i = 0;
    *extra_len = 0;
    f->request_ms = f->upstream_ms = -1;
    f->upstream_status = -1;
    f->no_header = 0;
    f->stamp = NULL;
    f->stamp_len = 0;
    f->path = NULL;
    if (end < 2 || p[0] != '{' || p[end - 1] != '}') return 0; /* (the reader strips the line: Python) */
    if (!json_object(&c, p, &i, end, -1, (const unsigned char *)"", 0) || i != end || (need_path && !f->path)) return 0;
    for (int k = 0; k < n_keys; k++)
        if (keys[k].required && !((c.seen >> keys[k].var) & 1)) return 0;
    /* which keys were there (a key missing and one with "" may read alike; the key says which) */
    if (*extra_len + 8 > MAX_EXTRA) return 0;
    memcpy(extra + *extra_len, &c.seen, 8);
    *extra_len += 8;
    return 1;
}

/* ------------------------------------------------------------------------------------- text layouts */

/* One field of a text layout (FIELDS): the literal before it, and what the reader does with its value. */
/* layout.CHARS: [^stop], \S, \d, [^\s"] (a logfmt value), [^"\\] (a logfmt quoted value, without escapes) */
enum { CHARS_ANY = 0, CHARS_TOKEN = 1, CHARS_DIGITS = 2, CHARS_BARE = 3, CHARS_QUOTED = 4, CHARS_SET = 5 };
/* CHARS_SET: a set of ASCII characters (a bracket expression of the layout), as a bitmap */

typedef struct TextFieldS {
    unsigned char *lit; /* (owned) */
    Py_ssize_t lit_len;
    int multi;     /* values of [^ ,"]{0,256} joined by ", " or " : " (layout.MULTI_PATTERN) */
    int chars;     /* CHARS_* */
    unsigned char set[32]; /* CHARS_SET: bit c of the bitmap says whether byte c is in the set */
    int dash;      /* "-" may stand in its place */
    Py_ssize_t min, max; /* its length, in characters */
    int last;      /* nothing after it: it runs to the end of the line */
    unsigned char stop; /* else: the first byte of the literal after it */
    JsonKey key;   /* its role and variable (name unused) */
} TextField;

/* One layout of a FIELDS scanner: its fields, each with the literal before it, and the literal after the last. */
typedef struct TextLayoutS {
    TextField *fields; /* (owned) */
    int n;
    unsigned char *after; /* (owned) */
    Py_ssize_t after_len;
    int exact; /* the line ends with the literal after the last field (else: up to 16 blanks) */
} TextLayoutC;

/* Where nginx_access._MULTI_PATTERN, at p[i], ends on its first try, each quantifier greedy: 1..256 bytes none
 * of ' ', ',' and '"' (or none), then up to 64 times ", " or " : " and such bytes again. The caller then expects
 * the literal after it, which starts with one of those three bytes (nginx_access.fast_layout): when it is not
 * there, the regex would try shorter values, which the caller leaves to Python. */
static Py_ssize_t multi_value(const unsigned char *p, Py_ssize_t i, Py_ssize_t end) {
    for (int rep = 0;; rep++) {
        Py_ssize_t a = i;
        while (i < end && i - a < 256 && p[i] != ' ' && p[i] != ',' && p[i] != '"') i++;
        if (rep == 64) return i;
        if (end - i >= 2 && p[i] == ',' && p[i + 1] == ' ')
            i += 2;
        else if (end - i >= 3 && p[i] == ' ' && p[i + 1] == ':' && p[i + 2] == ' ')
            i += 3;
        else
            return i;
    }
}

/* The time of an nginx line as _RecordBuilder.build finds it from the variables read into f: $time_local, else
 * $time_iso8601 or (when that is empty or missing) $time, else $msec; NAN: none. 1 with *t; 0 for a value this
 * path does not read (Python). */
static int nginx_time(Scanner *s, const Fields *f, double *t) {
    *t = NAN;
    /* local() of "" is none; of "-", which its regex does not match, too */
    if (f->clf_len > 0) {
        if (f->clf_len == s->stamp_len && memcmp(f->clf, s->stamp, (size_t)f->clf_len) == 0) {
            *t = s->stamp_time;
            return 1;
        }
        if (clf_time(f->clf, f->clf_len, t)) {
            memcpy(s->stamp, f->clf, (size_t)f->clf_len);
            s->stamp_len = f->clf_len;
            s->stamp_time = *t;
            return 1;
        }
        if (!(f->clf_len == 1 && f->clf[0] == '-')) return 0;
    }
    /* `iso(raw) or local(raw)` of raw = $time_iso8601 or $time, when it is not "" ("-": neither reads it) */
    const unsigned char *raw = f->stamp_len > 0 ? f->stamp : f->stamp2;
    Py_ssize_t n = f->stamp_len > 0 ? f->stamp_len : f->stamp2_len;
    if (raw && n > 0) {
        if (iso_time(raw, n, t)) return 1;
        if (!(n == 1 && raw[0] == '-')) return 0;
    }
    if (f->has_decimal) *t = f->decimal; /* parse_float($msec) */
    return 1;
}

/* 1: a line of the text layout L, read as layout.layout_regex matches it on its first try (each field but the
 * last runs to the first byte of the literal after it; the last, lazy, to the blanks that end the line, at most 16
 * of them), fields filled, the rest of the group key in extra[0..*len). 0: any other line, or a value this path
 * does not read, for Python: where the regex would backtrack, this finds no match, so a line read here is one the
 * regex matches the same way. */
static int walk_layout(const TextLayoutC *L, const unsigned char *p, Py_ssize_t end, Fields *f, unsigned char *extra,
                       int32_t *extra_len) {
    *extra_len = 0;
    f->request_ms = f->upstream_ms = -1;
    f->upstream_status = -1;
    f->no_header = 0;
    f->stamp = f->clf = NULL;
    f->stamp_len = f->clf_len = 0;
    f->has_decimal = 0;
    f->path = NULL;
    Py_ssize_t i = 0;
    for (int k = 0; k < L->n; k++) {
        const TextField *tf = &L->fields[k];
        if (end - i < tf->lit_len || memcmp(p + i, tf->lit, (size_t)tf->lit_len) != 0) return 0;
        i += tf->lit_len;
        Py_ssize_t va = i, vb;
        int dashed = 0;
        if (tf->dash && i < end && p[i] == '-') {
            vb = ++i; /* (\d{min,max}|-): no digit there, so the regex tries "-", whatever min is */
            dashed = 1;
        } else if (tf->last && tf->chars == CHARS_ANY) {
            vb = end; /* .{min,max}? then \s{0,16}$ (.{min,max} then the end: the whole rest) */
            while (!L->exact && vb > va && end - vb < 16 && is_space(p[vb - 1])) vb--;
            i = end;
        } else if (tf->multi) {
            vb = i = multi_value(p, i, end);
        } else if (tf->chars == CHARS_ANY || tf->chars == CHARS_QUOTED) { /* [^stop]{min,max} */
            const unsigned char *at = memchr(p + i, tf->stop, (size_t)(end - i));
            if (!at) return 0;
            vb = i = at - p;
            if (tf->chars == CHARS_QUOTED && memchr(p + va, '\\', (size_t)(vb - va))) return 0; /* an escape: Python */
        } else { /* \S{min,max} or \d{min,max}, narrowed to ASCII: where it stops at a byte the regex would take
                  * (a letter outside ASCII, a digit of another script, a control character), the literal after it,
                  * ASCII and starting with a blank or a non-digit, does not match: Python */
            if (tf->chars == CHARS_SET)
                while (i < end && i - va <= tf->max && (tf->set[p[i] >> 3] >> (p[i] & 7)) & 1) i++;
            else
                while (i < end && i - va <= tf->max &&
                       (tf->chars == CHARS_DIGITS ? is_digit(p[i])
                                                  : p[i] > 0x20 && p[i] < 0x7f && (tf->chars != CHARS_BARE || p[i] != '"')))
                    i++;
            vb = i;
        }
        if (!dashed && (vb - va > tf->max || vb - va < tf->min)) return 0; /* (bytes: at least as many as characters) */
        /* fewer characters than bytes outside ASCII: Python (the other classes' runs are ASCII already) */
        if (tf->min > 1 && (tf->chars == CHARS_ANY || tf->chars == CHARS_QUOTED))
            for (Py_ssize_t x = va; x < vb; x++)
                if (p[x] >= 0x80) return 0;
        if (tf->key.role != J_SKIP &&
            !read_value(&tf->key, p, va, vb, tf->chars == CHARS_DIGITS, 0, f, extra, extra_len, NULL))
            return 0;
    }
    /* (after a last field that ran to the end, i is the end and there is no literal after it) */
    if (end - i < L->after_len || memcmp(p + i, L->after, (size_t)L->after_len) != 0) return 0;
    i += L->after_len;
    if (L->exact ? i != end : end - i > 16) return 0;
    for (; i < end; i++)
        if (!is_space(p[i])) return 0;
    return 1;
}

/* 1: a line of one of the scanner's text layouts (the first that walks it, walk_layout; with several, its number
 * ends the group key), and *t the line's time as the reader finds it (J_ISO_UTC, a start plus the duration, or
 * nginx's: _RecordBuilder.build's $time_local, else $time_iso8601 or $time, else $msec; NAN: none). 0: a line
 * none of them reads, a line with a NUL byte (which some readers refuse), or a value this path does not read:
 * Python. */
static int parse_fields_line(Scanner *s, const unsigned char *p, Py_ssize_t end, Fields *f, unsigned char *extra,
                             int32_t *extra_len, double *t) {
    if (memchr(p, 0, (size_t)end)) return 0;
    int k = 0;
    while (!walk_layout(&s->layouts[k], p, end, f, extra, extra_len)) {
        if (++k == s->n_layouts) return 0;
        *f = (Fields){0}; /* (nothing the last try read is kept) */
    }
    if (s->n_layouts > 1) {
        unsigned char which = (unsigned char)k;
        if (!append_extra(extra, extra_len, MAX_JSON_VARS, 0, &which, 1)) return 0;
    }
    if (!f->path) return 0;
    *t = NAN;
    if (f->stamp_len == -1) { /* the line's time (J_ISO_UTC) */
        *t = f->epoch;
        return 1;
    }
    if (f->stamp_len == -2) { /* a start (J_CLF_START): the time is it plus the duration, when there is one */
        *t = f->epoch;
        if (f->request_ms >= 0) *t = *t + (double)f->request_ms / 1e9;
        return 1;
    }
    return nginx_time(s, f, t);
}

/* ------------------------------------------------------------------------------------------ AWS ALB */

/* "YYYY-MM-DDThh:mm:ss[.f{1,max}]Z" exactly, as traefik_log.parse_iso_time reads it (_epoch's checks): the
 * whole seconds and the fraction in units of 10^-max (for the exact difference of two times), and the time as
 * _epoch makes it (timegm, then + int(frac) / 10 ** len(frac)). 0 for anything else. */
static int alb_time(const unsigned char *p, Py_ssize_t n, int max, int64_t *whole, int64_t *frac, double *t) {
    int64_t y = 0, mo = 0, d = 0, hh = 0, mi = 0, ss = 0;
    if (n < 20 || p[4] != '-' || p[7] != '-' || p[10] != 'T' || p[13] != ':' || p[16] != ':' || !digits(p, 4, &y) ||
        !digits(p + 5, 2, &mo) || !digits(p + 8, 2, &d) || !digits(p + 11, 2, &hh) || !digits(p + 14, 2, &mi) ||
        !digits(p + 17, 2, &ss))
        return 0;
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || hh > 23 || mi > 59 ||
        ss > 60)
        return 0;
    *whole = ((days_from_civil(y, mo, 1) + d - 1) * 24 + hh) * 3600 + mi * 60 + ss;
    return alb_fraction(p, n, max, *whole, frac, t);
}

/* The rest of alb_time, after its first 19 bytes (p[0..19), which it read as `whole` seconds): the fraction and
 * the 'Z'. */
static int alb_fraction(const unsigned char *p, Py_ssize_t n, int max, int64_t whole, int64_t *frac, double *t) {
    int64_t f = 0;
    int places = 0;
    if (n < 20 || p[n - 1] != 'Z') return 0;
    if (n > 20) {
        places = (int)(n - 21);
        if (p[19] != '.' || places < 1 || places > max || !digits(p + 20, places, &f)) return 0;
    } else if (n != 20) {
        return 0;
    }
    *t = (double)whole;
    if (places) *t += (double)f / POW10[places];
    for (int z = places; z < max; z++) f *= 10;
    *frac = f;
    return 1;
}

/* A field of alb_log._LINE: 1..max bytes, none of them a space or a quote, then a space. Its end, or -1. */
static Py_ssize_t alb_field(const unsigned char *p, Py_ssize_t i, Py_ssize_t end, Py_ssize_t max) {
    Py_ssize_t k = i;
    while (k < end && p[k] != ' ' && p[k] != '"') k++;
    if (k == i || k - i > max || k >= end || p[k] != ' ') return -1;
    return k;
}

/* _NUM: "-?[0-9]{1,10}(.[0-9]{1,9})?" then a space: 1 with *i past the space. */
static int alb_number(const unsigned char *p, Py_ssize_t *i, Py_ssize_t end) {
    Py_ssize_t k = *i;
    if (k < end && p[k] == '-') k++;
    Py_ssize_t d = k;
    while (k < end && is_digit(p[k])) k++;
    if (k == d || k - d > 10) return 0;
    if (k < end && p[k] == '.') {
        d = ++k;
        while (k < end && is_digit(p[k])) k++;
        if (k == d || k - d > 9) return 0;
    }
    if (k >= end || p[k] != ' ') return 0;
    *i = k + 1;
    return 1;
}

/* 1: an ALB line as alb_log.parse_line reads it, narrowed (printable ASCII; an absolute http(s) target whose
 * path starts with "/"; a request_creation_time, both times with at most 6 digits of fraction, the duration
 * their exact difference in microseconds), with fields filled and the rest of the key (the target's
 * authority, domain_name, error_reason) in extra; 0: anything else, for Python. */
static int parse_alb_line(const unsigned char *p, Py_ssize_t end, Fields *f, unsigned char *extra,
                          int32_t *extra_len, double *t) {
    Py_ssize_t i = 0, k;
    *extra_len = 0;
    for (Py_ssize_t c = 0; c < end; c++)
        if (p[c] < 0x20 || p[c] >= 0x7f) return 0;
    /* type */
    if (end > 0 && !is_digit(p[0])) {
        static const char *types[] = {"http ", "https ", "h2 ", "grpc ", "grpcs ", "ws ", "wss "};
        int found = 0;
        for (int c = 0; c < 7 && !found; c++) {
            size_t n = strlen(types[c]);
            if ((Py_ssize_t)n <= end && memcmp(p, types[c], n) == 0) {
                i = (Py_ssize_t)n;
                found = 1;
            }
        }
        if (!found) return 0;
    }
    /* time */
    if ((k = alb_field(p, i, end, 40)) < 0) return 0;
    int64_t end_whole, end_frac, made_whole, made_frac;
    if (!alb_time(p + i, k - i, 6, &end_whole, &end_frac, t)) return 0;
    i = k + 1;
    /* elb client:port target:port */
    if ((k = alb_field(p, i, end, 256)) < 0) return 0;
    i = k + 1;
    if ((k = alb_field(p, i, end, 64)) < 0) return 0;
    i = k + 1;
    if ((k = alb_field(p, i, end, 300)) < 0) return 0;
    i = k + 1;
    /* three processing times */
    for (int c = 0; c < 3; c++)
        if (!alb_number(p, &i, end)) return 0;
    /* elb_status_code target_status_code received_bytes sent_bytes */
    if (i + 4 > end || !is_digit(p[i]) || !is_digit(p[i + 1]) || !is_digit(p[i + 2]) || p[i + 3] != ' ') return 0;
    f->status = (p[i] - '0') * 100 + (p[i + 1] - '0') * 10 + (p[i + 2] - '0');
    i += 4;
    if (i + 2 <= end && p[i] == '-' && p[i + 1] == ' ') {
        i += 2;
    } else if (i + 4 <= end && is_digit(p[i]) && is_digit(p[i + 1]) && is_digit(p[i + 2]) && p[i + 3] == ' ') {
        i += 4;
    } else {
        return 0;
    }
    for (int c = 0; c < 2; c++) {
        if ((k = alb_field(p, i, end, 20)) < 0) return 0;
        if (!(k - i == 1 && p[i] == '-'))
            for (Py_ssize_t x = i; x < k; x++)
                if (!is_digit(p[x])) return 0;
        i = k + 1;
    }
    /* "request": METHOD scheme://authority/path PROTOCOL, as traefik_log.split_request and split_target cut it */
    if (i >= end || p[i] != '"') return 0;
    Py_ssize_t ra = ++i;
    const unsigned char *q = memchr(p + i, '"', (size_t)(end - i));
    if (!q || q - (p + ra) > 16384) return 0;
    Py_ssize_t rb = q - p;
    k = ra;
    if (k >= rb || p[k] < 'A' || p[k] > 'Z') return 0;
    while (k < rb && ((p[k] >= 'A' && p[k] <= 'Z') || is_digit(p[k]) || p[k] == '_' || p[k] == '-')) k++;
    if (k - ra > 20 || k >= rb || p[k] != ' ') return 0;
    f->method = p + ra;
    f->method_len = (int)(k - ra);
    Py_ssize_t ta = ++k;
    if (rb - ta >= 8 && memcmp(p + ta, "https://", 8) == 0) {
        k = ta + 8;
    } else if (rb - ta >= 7 && memcmp(p + ta, "http://", 7) == 0) {
        k = ta + 7;
    } else {
        return 0;
    }
    Py_ssize_t aa = k;
    while (k < rb && p[k] != '/' && p[k] != '?' && p[k] != '#' && p[k] != ' ') k++;
    if (k == aa || k - aa > 300 || k >= rb || p[k] != '/') return 0;
    if (!append_extra(extra, extra_len, 0, 0, p + aa, k - aa)) return 0;
    Py_ssize_t t0 = k;
    while (k < rb && p[k] != ' ') k++;
    Py_ssize_t target_end = k;
    if (k >= rb || p[k] != ' ') return 0;
    k++;
    Py_ssize_t proto = k;
    if (k >= rb || !((p[k] >= 'A' && p[k] <= 'Z') || (p[k] >= 'a' && p[k] <= 'z'))) return 0;
    while (k < rb && ((p[k] >= 'A' && p[k] <= 'Z') || (p[k] >= 'a' && p[k] <= 'z') || is_digit(p[k]) || p[k] == '/' ||
                      p[k] == '.' || p[k] == '_' || p[k] == '-'))
        k++;
    if (k != rb || k - proto > 16) return 0;
    set_target(f, p, t0, target_end);
    /* ' "user_agent"', then the rest: tokens as alb_log._TOKEN finds them */
    i = rb + 1;
    if (i + 2 > end || p[i] != ' ' || p[i + 1] != '"') return 0;
    i += 2;
    q = memchr(p + i, '"', (size_t)(end - i));
    if (!q || q - (p + i) > 8192) return 0;
    i = q - p + 1;
    if (i >= end || p[i] != ' ' || end - i - 1 > 16384) return 0;
    Py_ssize_t tok_a[11], tok_b[11];
    int ntok = 0;
    k = i + 1;
    while (k < end && ntok < 11) {
        if (p[k] == ' ') {
            k++;
        } else if (p[k] == '"') {
            const unsigned char *close = memchr(p + k + 1, '"', (size_t)(end - k - 1));
            if (!close || close - (p + k + 1) > 8192) return 0;
            tok_a[ntok] = k + 1;
            tok_b[ntok++] = close - p;
            k = close - p + 1;
        } else {
            Py_ssize_t a = k;
            while (k < end && p[k] != ' ' && p[k] != '"') k++;
            if (k - a > 8192) return 0;
            tok_a[ntok] = a;
            tok_b[ntok++] = k;
        }
    }
    /* field(i): the token, or none when it is missing, "" or "-" */
    for (int c = 4; c <= 10; c += 6) { /* domain_name (4), error_reason (10) */
        int there = c < ntok && tok_b[c] > tok_a[c] && !(tok_b[c] - tok_a[c] == 1 && p[tok_a[c]] == '-');
        if (!append_extra(extra, extra_len, c, there, there ? p + tok_a[c] : p, there ? tok_b[c] - tok_a[c] : 0))
            return 0;
    }
    /* request_creation_time (7): the duration is the time minus it (round(end - created, 6): exact for
     * microseconds); without it, or before the time, Python */
    double made;
    if (ntok <= 7 || !alb_time(p + tok_a[7], tok_b[7] - tok_a[7], 6, &made_whole, &made_frac, &made)) return 0;
    /* Below 2^31 s (2038) each time is within 1.2e-7 s of its exact value and their difference within 3.6e-7:
     * round(end - created, 6) is then the exact microseconds (the reader divides them by 10**6). Later: Python. */
    if (end_whole >= 2147483647LL || made_whole >= 2147483647LL) return 0;
    long long us = (end_whole - made_whole) * 1000000LL + (end_frac - made_frac);
    if (us < 0) return 0;
    f->request_ms = us;
    f->upstream_ms = -1;
    f->upstream_status = -1;
    f->no_header = 0;
    return 1;
}

/* ------------------------------------------------------------------------------------------ Sōzune */

/* sozu_log.rfc3339_epoch of "YYYY-MM-DDThh:mm:ss[.f{1,9}](Z|+hh:mm)": its checks (month, day up to 31, hour,
 * minute, second up to 60; timegm refuses year 0), float(epoch) + int(frac) / 10 ** len(frac), the offset
 * taken off. 0 for anything else. */
static int rfc3339_time(const unsigned char *p, Py_ssize_t n, double *t) {
    int64_t y = 0, mo = 0, d = 0, hh = 0, mi = 0, ss = 0, f = 0;
    if (n < 20 || p[4] != '-' || p[7] != '-' || p[10] != 'T' || p[13] != ':' || p[16] != ':' || !digits(p, 4, &y) ||
        !digits(p + 5, 2, &mo) || !digits(p + 8, 2, &d) || !digits(p + 11, 2, &hh) || !digits(p + 14, 2, &mi) ||
        !digits(p + 17, 2, &ss))
        return 0;
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > 31 || hh > 23 || mi > 59 || ss > 60) return 0;
    double v = (double)(((days_from_civil(y, mo, 1) + d - 1) * 24 + hh) * 3600 + mi * 60 + ss);
    Py_ssize_t k = 19;
    if (p[k] == '.') {
        Py_ssize_t a = ++k;
        while (k < n && is_digit(p[k]) && k - a < 9) f = f * 10 + (p[k++] - '0');
        if (k == a || k >= n || is_digit(p[k])) return 0;
        v += (double)f / POW10[k - a];
    }
    if (p[k] == 'Z' && k + 1 == n) {
        *t = v;
        return 1;
    }
    int64_t oh = 0, om = 0;
    if (n - k != 6 || (p[k] != '+' && p[k] != '-') || !digits(p + k + 1, 2, &oh) || p[k + 3] != ':' ||
        !digits(p + k + 4, 2, &om))
        return 0;
    int64_t offset = oh * 3600 + om * 60;
    *t = p[k] == '+' ? v - (double)offset : v + (double)offset;
    return 1;
}

/* 1: a Sōzune text access line as sozune_log._parse_text reads it, narrowed (printable ASCII, INFO, the
 * first "access: " after ": " among the first 8 being the one, an origin-form path), fields filled, the host
 * and the phase in extra, its time in *t; 0: anything else, for Python. */
static int parse_sozune_line(const unsigned char *p, Py_ssize_t end, Fields *f, unsigned char *extra,
                             int32_t *extra_len, double *t) {
    *extra_len = 0;
    if (end < 1 || p[0] == ' ' || p[end - 1] == ' ') return 0; /* (the reader strips the line) */
    for (Py_ssize_t c = 0; c < end; c++)
        if (p[c] < 0x20 || p[c] >= 0x7f) return 0;
    /* _TEXT_HEAD: the time, one or two spaces, INFO, a space */
    Py_ssize_t k = 0;
    while (k < end && k < 40 && p[k] != ' ') k++;
    if (k >= end || !rfc3339_time(p, k, t)) return 0;
    Py_ssize_t i = k + 1;
    if (i < end && p[i] == ' ') i++;
    if (end - i < 5 || memcmp(p + i, "INFO ", 5) != 0) return 0;
    const unsigned char *rest = p + i + 5;
    Py_ssize_t n = end - (i + 5), at = -1, start = 0;
    for (int c = 0; c < 8; c++) { /* the loop of _parse_text: occurrences of "access: " */
        const unsigned char *hit = NULL;
        for (Py_ssize_t x = start; x + 8 <= n; x++)
            if (rest[x] == 'a' && memcmp(rest + x, "access: ", 8) == 0) {
                hit = rest + x;
                break;
            }
        if (!hit) return 0;
        Py_ssize_t h = hit - rest;
        start = h + 1;
        if (h != 0 && !(h >= 2 && rest[h - 2] == ':' && rest[h - 1] == ' ')) continue;
        at = h + 8;
        break;
    }
    if (at < 0) return 0;
    /* _ACCESS_MSG: client method host path status msms[ (phase)][ trace=id], then a space or the end */
    Py_ssize_t a = at, b;
    for (b = a; b < n && rest[b] != ' '; b++) {}
    if (b == a || b - a > 64 || b >= n) return 0; /* client */
    a = b + 1;
    for (b = a; b < n && ((rest[b] >= 'A' && rest[b] <= 'Z') || (rest[b] >= 'a' && rest[b] <= 'z') ||
                          (b > a && (rest[b] == '_' || rest[b] == '-')));
         b++) {}
    if (b == a || b - a > 20 || b >= n || rest[b] != ' ') return 0;
    f->method = rest + a;
    f->method_len = (int)(b - a);
    a = b + 1;
    for (b = a; b < n && rest[b] != ' '; b++) {}
    if (b == a || b - a > 255 || b >= n) return 0; /* host */
    if (!append_extra(extra, extra_len, 0, 0, rest + a, b - a)) return 0;
    a = b + 1;
    for (b = a; b < n && rest[b] != ' '; b++) {}
    if (b == a || b - a > 16384 || b >= n || rest[a] != '/') return 0; /* path */
    set_target(f, rest, a, b);
    a = b + 1;
    if (n - a < 4 || rest[a] < '1' || rest[a] > '9' || !is_digit(rest[a + 1]) || !is_digit(rest[a + 2]) ||
        rest[a + 3] != ' ')
        return 0;
    f->status = (rest[a] - '0') * 100 + (rest[a + 1] - '0') * 10 + (rest[a + 2] - '0');
    a += 4;
    long long ms = 0;
    for (b = a; b < n && is_digit(rest[b]) && b - a < 15; b++) ms = ms * 10 + (rest[b] - '0');
    if (b == a || b + 2 > n || rest[b] != 'm' || rest[b + 1] != 's') return 0;
    b += 2;
    Py_ssize_t phase_a = 0, phase_n = -1;
    if (n - b >= 2 && rest[b] == ' ' && rest[b + 1] == '(') {
        Py_ssize_t x = b + 2;
        while (x < n && ((rest[x] >= 'a' && rest[x] <= 'z') || rest[x] == '-') && x - b - 2 < 32) x++;
        if (x == b + 2 || x >= n || rest[x] != ')') return 0;
        phase_a = b + 2;
        phase_n = x - b - 2;
        b = x + 1;
    }
    if (n - b >= 7 && memcmp(rest + b, " trace=", 7) == 0) {
        Py_ssize_t x = b + 7;
        while (x < n && (is_digit(rest[x]) || (rest[x] >= 'A' && rest[x] <= 'Z') || (rest[x] >= 'a' && rest[x] <= 'z') ||
                         rest[x] == '-') && x - b - 7 < 64)
            x++;
        if (x == b + 7) return 0;
        b = x;
    }
    if (b < n && rest[b] != ' ') return 0;
    if (!append_extra(extra, extra_len, 1, phase_n >= 0, phase_n >= 0 ? rest + phase_a : rest, phase_n >= 0 ? phase_n : 0))
        return 0;
    f->request_ms = ms;
    f->upstream_ms = -1;
    f->upstream_status = -1;
    f->no_header = 0;
    return 1;
}

/* 1: a Sōzune JSON line (tracing-subscriber's JSON, `log.format: json`) that sozune_log._parse_json reads into an
 * access record from its fields, narrowed as the key table (sozune_log.FAST_KEYS, FAST_ALIASES) says: level
 * "INFO", target "access", status, duration_ms, method, host and path valid, each once (at the top level or
 * under "fields", not both); fields filled, the method, host and phase in extra (f->method stays empty: a JSON
 * line's group never has a text line's method, so the two kinds never share a group), its time in *t (the
 * timestamp, "Z" or "+00:00", read as J_ISO_UTC reads it; none without one). 0: anything else, for Python. */
static int parse_sozune_json_line(Scanner *s, const unsigned char *p, Py_ssize_t end, Fields *f, unsigned char *extra,
                                  int32_t *extra_len, double *t) {
    *extra_len = 0;
    if (!s->json_keys || !parse_json_line(s->json_keys, s->n_json_keys, s->json_bucket, 0, 0, s->json_memo, p, end, f,
                                          extra, extra_len, 1))
        return 0;
    if (!f->stamp) {
        *t = NAN;
    } else if (f->stamp_len == -1) {
        *t = f->epoch;
    } else {
        return 0; /* (no other time role is in the table) */
    }
    return 1;
}

/* The SOZUNE shape's line: a JSON one (it starts with '{') or a text one. */
static int parse_sozune_any(Scanner *s, const unsigned char *p, Py_ssize_t end, Fields *f, unsigned char *extra,
                            int32_t *extra_len, double *t) {
    if (end > 0 && p[0] == '{') return parse_sozune_json_line(s, p, end, f, extra, extra_len, t);
    return parse_sozune_line(p, end, f, extra, extra_len, t);
}


/* The prefix nginx_error._PREFIX reads, "yyyy/mm/dd HH:MM:SS [level] pid#tid: ", at p[0..n): its time as
 * calendar.timegm makes it (any day and time of day the digits give; month 1-12 and year >= 1, else Python:
 * timegm refuses them) in *t, and the index after it in *at. 0: not there. */
static int error_prefix(const unsigned char *p, Py_ssize_t n, double *t, Py_ssize_t *at) {
    int64_t y, mo, d, hh, mi, ss;
    int ok;
    if (n < 25 || n > MAX_QUIET_LINE || p[4] != '/' || p[7] != '/' || p[10] != ' ' || p[13] != ':' ||
        p[16] != ':' || p[19] != ' ' || p[20] != '[')
        return 0;
    if (!digits(p, 4, &y) || !digits(p + 5, 2, &mo) || !digits(p + 8, 2, &d) || !digits(p + 11, 2, &hh) ||
        !digits(p + 14, 2, &mi) || !digits(p + 17, 2, &ss) || y < 1 || mo < 1 || mo > 12)
        return 0;
    Py_ssize_t i = 21, level = 0;
    while (i < n && p[i] >= 'a' && p[i] <= 'z' && level < 9) i++, level++;
    if (level < 1 || level > 8 || i + 1 >= n || p[i] != ']' || p[i + 1] != ' ') return 0;
    i += 2;
    signed_number(p, &i, n, 0, 0, 10, &ok); /* pid#tid: */
    if (!ok || !expect_byte(p, &i, n, '#')) return 0;
    signed_number(p, &i, n, 0, 0, 10, &ok);
    if (!ok || !expect_byte(p, &i, n, ':') || !expect_byte(p, &i, n, ' ')) return 0;
    *t = (double)(((days_from_civil(y, mo, 1) + d - 1) * 24 + hh) * 3600 + mi * 60 + ss);
    *at = i;
    return 1;
}

/* An nginx error line that adds nothing but its time: the prefix, then no ", client: " (the reader's fields: no
 * request) and none of the kinds' needles (nginx_error.PYTHON_NEEDLES holds both), so the reader makes of it an
 * ErrorEvent of kind "other" without a target, which ScanAggregate.add_error only times. 0 for any other line. */
static int quiet_error_line(Scanner *s, const unsigned char *p, Py_ssize_t n, double *t) {
    Py_ssize_t i;
    if (!error_prefix(p, n, t, &i)) return 0;
    for (int k = 0; k < s->n_needles; k++)
        if (holds_bytes(p + i, n - i, (const unsigned char *)s->needle[k], s->needle_len[k])) return 0;
    return 1;
}

/* The fields nginx writes after an error's message (ngx_http_log_error_handler), the ones nginx_error._FIELD
 * reads: "client: a, server: b, request: "...", ..." */
static const char *const ERROR_FIELDS[] = {"client", "upstream", "server", "request", "host", "referrer", "subrequest"};
#define N_ERROR_FIELDS 7
enum { EF_SERVER = 2, EF_REQUEST = 3, EF_HOST = 4 };

/* An nginx error line about a request, in the shape nginx writes it: the prefix, "*cid " or not, the message up
 * to the first ", client: ", then only "name: value" items joined by ", " up to the end of the line, each of
 * nginx_error._FIELD's names at most once, a value quoted without a backslash in it ("...") or unquoted without
 * '"', '\' or ',' (at most 4 096 bytes), and a request "METHOD /target[ HTTP/x.y]" (split_origin_request) among
 * them: nginx_error._FIELD's matches are then exactly these items. f gets the target's path and query, *t the
 * time, and extra what else ScanAggregate.add_error reads of the line, as bytes that are equal only for lines it
 * reads alike: the kind (the first of the kinds' needles in the message), the action (after the message's last
 * " while "), and the host and server fields. 0 for any other line: the Python parser reads it. */
static int request_error_line(Scanner *s, const unsigned char *p, Py_ssize_t n, double *t, Fields *f,
                              unsigned char *extra, int32_t *extra_len) {
    Py_ssize_t i;
    if (!error_prefix(p, n, t, &i)) return 0;
    if (i < n && p[i] == '*') { /* (?:\*\d{1,20} )? */
        Py_ssize_t k = i + 1;
        while (k < n && is_digit(p[k]) && k - i <= 21) k++;
        if (k == i + 1 || k - i > 21 || k >= n || p[k] != ' ') return 0;
        i = k + 1;
    }
    static const unsigned char CLIENT[] = ", client: ";
    Py_ssize_t cut = -1;
    for (Py_ssize_t k = i; k + 10 <= n; k++) {
        const unsigned char *hit = memchr(p + k, ',', (size_t)(n - k));
        if (!hit) break;
        k = hit - p;
        if (k + 10 <= n && memcmp(p + k, CLIENT, 10) == 0) {
            cut = k;
            break;
        }
    }
    if (cut < 0) return 0;
    unsigned char kind = 0; /* the index in PYTHON_NEEDLES of the first kind found (0: "other") */
    for (int k = 1; k < s->n_needles && !kind; k++)
        if (holds_bytes(p + i, cut - i, (const unsigned char *)s->needle[k], s->needle_len[k])) kind = (unsigned char)k;
    Py_ssize_t action = -1; /* message.rfind(" while ") + 7 */
    for (Py_ssize_t k = cut - 7; k >= i; k--)
        if (p[k] == ' ' && memcmp(p + k, " while ", 7) == 0) {
            action = k + 7;
            break;
        }
    const unsigned char *value[N_ERROR_FIELDS] = {0};
    Py_ssize_t value_len[N_ERROR_FIELDS] = {0};
    Py_ssize_t k = cut;
    while (k < n) {
        if (k + 2 > n || p[k] != ',' || p[k + 1] != ' ') return 0;
        k += 2;
        int name = -1;
        for (int e = 0; e < N_ERROR_FIELDS; e++) {
            size_t len = strlen(ERROR_FIELDS[e]);
            if (k + (Py_ssize_t)len + 2 <= n && memcmp(p + k, ERROR_FIELDS[e], len) == 0 && p[k + len] == ':' &&
                p[k + len + 1] == ' ') {
                name = e;
                k += (Py_ssize_t)len + 2;
                break;
            }
        }
        if (name < 0 || value[name]) return 0;
        Py_ssize_t v = k;
        if (k < n && p[k] == '"') {
            const unsigned char *close = memchr(p + k + 1, '"', (size_t)(n - k - 1));
            if (!close || memchr(p + k + 1, '\\', (size_t)(close - p - k - 1))) return 0;
            k = close - p + 1;
        } else {
            while (k < n && p[k] != ',' && p[k] != '"' && p[k] != '\\') k++;
            if ((k < n && p[k] != ',') || k - v > 4096) return 0;
        }
        value[name] = p + v;
        value_len[name] = k - v;
    }
    /* the request: _REQUEST.fullmatch of the unquoted value */
    const unsigned char *r = value[EF_REQUEST];
    Py_ssize_t rn = value_len[EF_REQUEST];
    if (!r || rn < 2 || r[0] != '"' || r[rn - 1] != '"' || !split_origin_request(r, 1, rn - 1, f)) return 0;
    /* the key: the kind, then the action, host and server, each with whether the line has it */
    *extra_len = 0;
    return append_extra(extra, extra_len, 0, kind, p, 0) &&
           append_extra(extra, extra_len, 1, action >= 0, p + (action >= 0 ? action : 0), action >= 0 ? cut - action : 0) &&
           append_extra(extra, extra_len, 2, value[EF_HOST] != NULL, value[EF_HOST] ? value[EF_HOST] : p,
                        value_len[EF_HOST]) &&
           append_extra(extra, extra_len, 3, value[EF_SERVER] != NULL, value[EF_SERVER] ? value[EF_SERVER] : p,
                        value_len[EF_SERVER]);
}

/* An error-log line read here (NGINX_ERROR, CADDY_RUNTIME) at time t, as ScanAggregate.add_error takes it: the
 * time in the inputs' range and the window's count (outside_window); a line that adds only its time counted as
 * quiet; one about a request (f's path and query, and `key` the bytes of what else add_error reads of it) grouped
 * by route, hold and those bytes, the lines of a route the aggregate turns away together (unrouted, by kind:
 * ScanAggregate.add_errors). 0 on error. */
static int error_line_seen(Scanner *s, double t, int quiet, const Fields *f, const unsigned char *key_bytes,
                           int32_t key_len, const unsigned char *line, Py_ssize_t len, long long line_no) {
    int in_range = fabs(t) <= s->max_time;
    if (in_range) span_note(&s->seen_lo, &s->seen_hi, t);
    if ((s->has_since || s->has_until) &&
        (!in_range || (s->has_since && t < s->since) || (s->has_until && t > s->until))) {
        s->outside++;
        return 1;
    }
    if (quiet) {
        s->quiet++;
        return 1;
    }
    GroupKey key;
    memset(&key, 0, sizeof key);
    key.route = route_id(s, f->path, f->path_len);
    if (key.route < 0) return 0;
    if (s->discover) return 1; /* (the route is made: nothing else) */
    Route *r = &s->routes[key.route];
    if (r->refused) {
        if (s->refused_list && !r->reported) {
            if (PyList_Append(s->refused_list, r->text) < 0) return 0;
            r->reported = 1;
        }
        key.route = OVERFLOW_ROUTE;
    } else {
        key.hold = hold_id(s, key.route, f->query, f->query_len);
        if (key.hold < 0) return 0;
    }
    key.extra_len = key_len;
    key.extra_hash = hash_bytes(key_bytes, key_len);
    Group *g = group_for(s, &key, key_bytes, line, len, line_no);
    if (!g) return 0;
    g->count++;
    return 1;
}

/* --------------------------------------------------------------------------------- Python methods */

static PyObject *Scanner_scan(Scanner *s, PyObject *args) {
    Py_buffer buf;
    Py_ssize_t pos;
    long long line_no;
    if (!PyArg_ParseTuple(args, "y*nL", &buf, &pos, &line_no)) return NULL;
    const unsigned char *data = buf.buf;
    Py_ssize_t size = buf.len;
    long long lines = 0;
    int stop = SCAN_END;
    PyObject *result = NULL;
    if (pos < 0 || pos > size) {
        PyErr_SetString(PyExc_ValueError, "position outside the buffer");
        goto done;
    }
    if (s->taken) {
        PyErr_SetString(PyExc_RuntimeError, "take() every group before scanning on");
        goto done;
    }
    while (pos < size) {
        if (s->groups_len >= GROUP_LIMIT || s->values >= VALUE_LIMIT) {
            stop = SCAN_FULL;
            break;
        }
        const unsigned char *line = data + pos;
        const unsigned char *nl = memchr(line, '\n', (size_t)(size - pos));
        Py_ssize_t len = nl ? nl - line : size - pos;
        Py_ssize_t next = pos + len + (nl ? 1 : 0);
        Py_ssize_t text_len = len;
        while (text_len > 0 && (line[text_len - 1] == '\r' || line[text_len - 1] == '\n')) text_len--;
        Py_ssize_t j = 0;
        while (j < text_len && is_space(line[j])) j++;
        if (j == text_len) { /* blank: neither parsed nor skipped */
            lines++;
            pos = next;
            continue;
        }
        if (s->timing == NGINX_ERROR) {
            double qt;
            Fields ef = {0};
            unsigned char ekey[MAX_EXTRA + 64];
            int32_t ekey_len = 0;
            int quiet = quiet_error_line(s, line, text_len, &qt);
            if (!quiet && !request_error_line(s, line, text_len, &qt, &ef, ekey, &ekey_len)) {
                stop = SCAN_PYTHON;
                break;
            }
            if (!error_line_seen(s, qt, quiet, &ef, ekey, ekey_len, line, text_len, line_no + lines)) goto done;
            lines++;
            pos = next;
            continue;
        }
        if (s->timing == CADDY_RUNTIME) {
            /* Caddy's runtime log: an entry the reader reads (the key table narrows it). From a logger other than
             * http.log.error it adds only its time (the reader makes it an event of kind "other" without a
             * target); from http.log.error with a request target it is grouped by route, hold, the first of the
             * kinds' words in its msg and its request's host; any other line goes to Python. */
            Fields cf;
            memset(&cf, 0, sizeof cf);
            unsigned char ckey[MAX_EXTRA + 64];
            int32_t ckey_len = 0;
            if (text_len > MAX_FAST_LINE || line[0] != '{' ||
                holds_bytes(line, text_len, (const unsigned char *)"handled request", 15) ||
                !parse_json_line(s->json_keys, s->n_json_keys, s->json_bucket, 0, 0, s->json_memo, line, text_len, &cf,
                                 ckey, &ckey_len, 0) ||
                cf.stamp_len != -1 || (cf.flag && !cf.path)) {
                stop = SCAN_PYTHON;
                break;
            }
            /* (J_EPOCH: 0 <= t < 1e11) */
            if (!error_line_seen(s, cf.epoch, !cf.flag, &cf, ckey, ckey_len, line, text_len, line_no + lines)) goto done;
            lines++;
            pos = next;
            continue;
        }
        Fields f = {0};
        if (s->timing == TAIL_MICROS) { /* Apache: printable ASCII without a backslash, or Python */
            Py_ssize_t c = 0;
            while (c < text_len && line[c] >= 0x20 && line[c] < 0x7f && line[c] != '\\') c++;
            if (c < text_len || line[text_len - 1] == ' ') { /* (the parser reads the line unstripped) */
                stop = SCAN_PYTHON;
                break;
            }
        }
        unsigned char extra[8192 + 64];
        int32_t extra_len = 0;
        double alb_t = NAN;
        const unsigned char *fe = NULL, *be = NULL, *ts = NULL; /* HAPROXY_TCP */
        Py_ssize_t fe_len = 0, be_len = 0;
        int parsed = text_len <= MAX_FAST_LINE &&
                     (s->timing == HAPROXY ? parse_haproxy_line(line, text_len, &f)
                      : s->timing == HAPROXY_TCP
                          ? parse_haproxy_tcp_line(line, text_len, &f, &fe, &fe_len, &be, &be_len, &ts)
                      : s->timing == ALB   ? parse_alb_line(line, text_len, &f, extra, &extra_len, &alb_t)
                      : s->timing == SOZUNE ? parse_sozune_any(s, line, text_len, &f, extra, &extra_len, &alb_t)
                      : s->timing == FIELDS ? parse_fields_line(s, line, text_len, &f, extra, &extra_len, &alb_t)
                      : s->timing == JSON  ? parse_json_line(s->json_keys, s->n_json_keys, s->json_bucket, s->json_fold_case,
                                                             s->json_exact_keys, s->json_memo, line, text_len, &f, extra,
                                                             &extra_len, 1)
                                           : parse_line(line, text_len, s->timing, &f));
        if (!parsed) {
            stop = SCAN_PYTHON;
            break;
        }
        double t;
        if (s->timing == ALB || s->timing == SOZUNE || s->timing == FIELDS) {
            t = alb_t; /* the time the parser read */
        } else if (s->timing == JSON && s->json_fold_case) { /* nginx: $time_local, $time_iso8601, $time, $msec */
            if (!nginx_time(s, &f, &t)) {
                stop = SCAN_PYTHON;
                break;
            }
        } else if (s->timing == JSON) {
            /* no time, "" or "-": none; an ISO time read exactly as the reader reads it; anything else: Python */
            if (!f.stamp || f.stamp_len == 0 || (f.stamp_len == 1 && f.stamp[0] == '-')) {
                t = NAN;
            } else if (f.stamp_len == -1) {
                t = f.epoch;
            } else if (f.stamp_len == -2) {
                /* J_START: the start plus the duration (ns: the double of the reader's nonneg_seconds, see
                 * J_UNITS), or the start alone when the line has none (Envoy: `start + duration if ... else start`;
                 * Traefik's Duration is required and read only when valid, so it always has one) */
                t = f.epoch;
                if (f.request_ms >= 0) t = t + (double)f.request_ms / 1e9;
            } else if (f.stamp_len == s->stamp_len && memcmp(f.stamp, s->stamp, (size_t)f.stamp_len) == 0) {
                t = s->stamp_time; /* the same text as the last time read: the same time */
            } else if (iso_time(f.stamp, f.stamp_len, &t)) {
                if (f.stamp_len <= (Py_ssize_t)sizeof s->stamp) {
                    memcpy(s->stamp, f.stamp, (size_t)f.stamp_len);
                    s->stamp_len = f.stamp_len;
                    s->stamp_time = t;
                }
            } else {
                stop = SCAN_PYTHON;
                break;
            }
        } else if (s->timing == HAPROXY || s->timing == HAPROXY_TCP) {
            /* the time is the end: %tr (the start) + the duration, when there is one */
            if (!haproxy_time(f.stamp, f.stamp_len, &t)) {
                stop = SCAN_PYTHON;
                break;
            }
            if (f.request_ms >= 0) t = t + (double)f.request_ms / 1000.0;
        } else if (f.stamp_len == s->stamp_len && memcmp(f.stamp, s->stamp, (size_t)f.stamp_len) == 0) {
            t = s->stamp_time;
        } else if (s->timing == TAIL_MICROS ? checked_clf_time(f.stamp, f.stamp_len, &t)
                                            : clf_time(f.stamp, f.stamp_len, &t)) {
            memcpy(s->stamp, f.stamp, (size_t)f.stamp_len);
            s->stamp_len = f.stamp_len;
            s->stamp_time = t;
        } else {
            stop = SCAN_PYTHON;
            break;
        }
        if (s->timing == TAIL_MICROS) {
            /* Apache: the time is the end (%t + duration: nonneg_seconds(float(micros), 1e6)); a target that is
             * not a path (an absolute URL gives a host) goes to Python */
            double d = (double)f.request_ms / 1e6;
            if (d >= 1e9 || f.path_len == 0 || f.path[0] != '/') {
                stop = SCAN_PYTHON;
                break;
            }
            t = t + d;
        }
        int method = method_id(s, f.method, f.method_len);
        if (method < 0) {
            stop = SCAN_PYTHON;
            break;
        }
        /* ScanAggregate.outside_window: every time within MAX_TIME counts in the inputs' range; the window
         * leaves out the lines outside it and those without a time. */
        int timed = t == t && fabs(t) <= s->max_time;
        if (timed) span_note(&s->seen_lo, &s->seen_hi, t);
        if ((s->has_since || s->has_until) &&
            (!timed || (s->has_since && t < s->since) || (s->has_until && t > s->until))) {
            s->outside++;
            s->outside_timed += s->timing != TAIL_NONE && f.request_ms >= 0;
            lines++;
            pos = next;
            continue;
        }
        GroupKey key;
        memset(&key, 0, sizeof key);
        key.route = s->timing == HAPROXY_TCP ? stream_route(s, fe, fe_len, be, be_len) : route_id(s, f.path, f.path_len);
        if (key.route < 0) goto done;
        if (s->discover) { /* the route is made (routes() lists it, in order): nothing else */
            lines++;
            pos = next;
            continue;
        }
        Route *r = &s->routes[key.route];
        if (r->refused) { /* the aggregate's overflow bucket: no hold, whatever the route */
            if (s->refused_list && !r->reported) {
                if (PyList_Append(s->refused_list, r->text) < 0) goto done;
                r->reported = 1;
            }
            key.route = OVERFLOW_ROUTE;
            key.hold = 0;
        } else if (s->timing != HAPROXY_TCP) { /* (a TCP session asks for no hold: it has no request) */
            key.hold = hold_id(s, key.route, f.query, f.query_len);
            if (key.hold < 0) goto done;
        }
        key.method = method;
        key.status = f.status;
        key.upstream_status = f.upstream_status;
        key.no_header = f.no_header;
        key.timed = timed;
        if (s->timing == JSON || s->timing == ALB || s->timing == SOZUNE || s->timing == FIELDS) {
            key.extra_len = extra_len;
            key.extra_hash = hash_bytes(extra, extra_len);
        } else if (s->timing == HAPROXY) { /* the termination state, and the captured request headers if any */
            memcpy(extra, f.tsc, 4);
            extra[4] = f.capture_len >= 0;
            key.extra_len = 5;
            if (f.capture_len > 0) {
                memcpy(extra + 5, f.capture, (size_t)f.capture_len);
                key.extra_len += (int32_t)f.capture_len;
            }
            key.extra_hash = hash_bytes(extra, key.extra_len);
        } else if (s->timing == HAPROXY_TCP) { /* the session's state */
            memcpy(extra, ts, 2);
            key.extra_len = 2;
            key.extra_hash = hash_bytes(extra, 2);
        }
        Group *g = group_for(s, &key, extra, line, text_len, line_no + lines);
        if (!g) goto done;
        g->count++;
        double when = timed ? t : NAN;
        if (timed) {
            span_note(&g->tmin, &g->tmax, t);
            Py_ssize_t before = g->timeline.buckets.len;
            if (timeline_add(&g->timeline, t) < 0) goto done;
            s->values += g->timeline.buckets.len - before;
        }
        if (s->timing) {
            int added = durations_add(&g->request_ms, f.request_ms, when, s->per_second, s->max_duration);
            if (added < 0) goto done;
            s->values += added;
            if (s->timing == TAIL_POSITIONAL || s->timing == TAIL_KV || s->timing == JSON ||
                s->timing == FIELDS) { /* the last try's */
                added = countmap_add(&g->upstream_ms, f.upstream_ms, NAN);
                if (added < 0) goto done;
                s->values += added;
            }
        }
        lines++;
        pos = next;
    }
    result = Py_BuildValue("(nLi)", pos, lines, stop);
done:
    PyBuffer_Release(&buf);
    return result;
}

/* The template the scanner puts in a route for one segment (tests compare it with routes.segment_template). */
static PyObject *Scanner_template(Scanner *s, PyObject *arg) {
    char *p;
    Py_ssize_t n;
    if (PyBytes_AsStringAndSize(arg, &p, &n) < 0) return NULL;
    for (Py_ssize_t i = 0; i < n; i++)
        if ((unsigned char)p[i] >= 0x80 || p[i] == '/') {
            PyErr_SetString(PyExc_ValueError, "a segment is ASCII without '/'");
            return NULL;
        }
    int32_t id = segment_id(s, (const unsigned char *)p, n);
    if (id < 0) return NULL;
    PyObject *t = PyList_GET_ITEM(s->template_list, id);
    Py_INCREF(t);
    return t;
}

static PyObject *Scanner_add_record(Scanner *s, PyObject *record) {
    if (s->taken) {
        PyErr_SetString(PyExc_RuntimeError, "take() every group before adding records");
        return NULL;
    }
    Group *g = append_entry(s);
    if (!g) return NULL;
    Py_INCREF(record);
    g->first = record;
    g->is_record = 1;
    g->count = 1;
    Py_RETURN_NONE;
}

/* Every entry since the last take(), in order: a Python record as it was added, or a group as
 * (first line bytes, its line number, lines, [(request ms, n)], [(upstream ms, n)], key): the key, (route,
 * method, status, upstream status, hold), says which lines were grouped: the same key in a later take groups
 * lines alike in the same way. */
static PyObject *Scanner_take(Scanner *s, PyObject *args) {
    Py_ssize_t limit = -1;
    if (!PyArg_ParseTuple(args, "|n", &limit)) return NULL;
    Py_ssize_t start = s->taken, end = s->groups_len;
    if (limit >= 0 && limit < end - start) end = start + limit;
    PyObject *out = PyList_New(end - start);
    if (!out) return NULL;
    for (Py_ssize_t i = start; i < end; i++) {
        Group *g = &s->groups[i];
        PyObject *item;
        if (g->is_record) {
            item = g->first;
            Py_INCREF(item);
        } else {
            PyObject *req = folded_items(&g->request_ms);
            PyObject *up = req ? countmap_items(&g->upstream_ms, 0) : NULL;
            PyObject *route = g->key.route == OVERFLOW_ROUTE ? Py_None : s->routes[g->key.route].text;
            PyObject *key = up ? Py_BuildValue("(OiiiiiO)", route, g->key.method,
                                               g->key.status, g->key.upstream_status, g->key.hold, g->key.no_header,
                                               g->extra)
                               : NULL;
            PyObject *when = NULL;
            if (key && g->key.timed) {
                PyObject *buckets = countmap_items(&g->timeline.buckets, 0);
                when = buckets ? Py_BuildValue("(ddLLLO)", g->tmin, g->tmax, (long long)g->timeline.width,
                                               (long long)g->timeline.lo, (long long)g->timeline.hi, buckets)
                               : NULL;
                Py_XDECREF(buckets);
            } else if (key) {
                when = Py_None;
                Py_INCREF(when);
            }
            item = when ? Py_BuildValue("(OLLOOOO)", g->first, g->first_line, g->count, req, up, key, when) : NULL;
            Py_XDECREF(req);
            Py_XDECREF(up);
            Py_XDECREF(key);
            Py_XDECREF(when);
        }
        if (!item) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SET_ITEM(out, i - start, item);
        /* handed over: what the item does not hold goes now, not when the last group is taken */
        Py_CLEAR(g->first);
        Py_CLEAR(g->extra);
        countmap_free(&g->request_ms);
        countmap_free(&g->upstream_ms);
        countmap_free(&g->timeline.buckets);
    }
    s->taken = end;
    if (end < s->groups_len) return out;
    s->taken = 0;
    drop_groups(s);
    if (PyList_GET_SIZE(s->template_list) > 2 * ROUTE_LIMIT) {
        if (drop_templates(s) < 0) {
            Py_DECREF(out);
            return NULL;
        }
    } else if (s->routes_len > ROUTE_LIMIT) {
        drop_routes(s);
    }
    return out;
}

/* close_routes(admitted, track): from now on the aggregate gives no route it does not have yet its own stats;
 * admitted(route str) says which it keeps (asked once per route the scanner makes, and now for those it has).
 * The lines of the others group as the overflow bucket's (key route None); with track, refused() lists them. */
static PyObject *Scanner_close_routes(Scanner *s, PyObject *args) {
    PyObject *admitted;
    int track = 0;
    if (!PyArg_ParseTuple(args, "O|p", &admitted, &track)) return NULL;
    if (!PyCallable_Check(admitted)) {
        PyErr_SetString(PyExc_TypeError, "admitted must be callable");
        return NULL;
    }
    Py_INCREF(admitted);
    Py_XSETREF(s->admitted, admitted);
    if (track && !s->refused_list && !(s->refused_list = PyList_New(0))) return NULL;
    for (Py_ssize_t i = 0; i < s->routes_len; i++) {
        int refused = route_refused(s, s->routes[i].text);
        if (refused < 0) return NULL;
        s->routes[i].refused = refused;
    }
    Py_RETURN_NONE;
}

/* The texts of the refused routes whose lines were grouped since the last call (each once a route). */
static PyObject *Scanner_refused(Scanner *s, PyObject *Py_UNUSED(ignored)) {
    if (!s->refused_list) return PyList_New(0);
    PyObject *out = s->refused_list;
    s->refused_list = PyList_New(0);
    if (!s->refused_list) {
        s->refused_list = out;
        return NULL;
    }
    return out;
}

static PyObject *Scanner_pending(Scanner *s, void *Py_UNUSED(closure)) { return PyLong_FromSsize_t(s->groups_len); }

/* discover(): from now on a line's route is made, in line order, and the line is left at that (no group, no
 * hold lookup): what routes() then lists is the order in which an aggregate reading the lines meets their
 * routes (the lines left to the Python parser aside). */
static PyObject *Scanner_discover(Scanner *s, PyObject *Py_UNUSED(ignored)) {
    s->discover = 1;
    Py_RETURN_NONE;
}

/* routes(start=0): the texts of the routes made so far, from the start-th on, in the order they were made. */
static PyObject *Scanner_routes(Scanner *s, PyObject *args) {
    Py_ssize_t start = 0;
    if (!PyArg_ParseTuple(args, "|n", &start)) return NULL;
    if (start < 0) start = 0;
    if (start > s->routes_len) start = s->routes_len;
    PyObject *out = PyList_New(s->routes_len - start);
    if (!out) return NULL;
    for (Py_ssize_t i = start; i < s->routes_len; i++) {
        Py_INCREF(s->routes[i].text);
        PyList_SET_ITEM(out, i - start, s->routes[i].text);
    }
    return out;
}

static PyObject *Scanner_route_count(Scanner *s, void *Py_UNUSED(closure)) {
    return PyLong_FromSsize_t(s->routes_len);
}

/* What the lines since the last window() said of time: (lines the window left out, those of them with a
 * duration, the first time read or None, the last or None). Starts over. */
static PyObject *Scanner_quiet(Scanner *s, PyObject *Py_UNUSED(ignored)) {
    long long n = s->quiet;
    s->quiet = 0;
    return PyLong_FromLongLong(n);
}

static PyObject *Scanner_window(Scanner *s, PyObject *Py_UNUSED(ignored)) {
    PyObject *lo = time_or_none(s->seen_lo), *hi = lo ? time_or_none(s->seen_hi) : NULL;
    PyObject *out = hi ? Py_BuildValue("(LLOO)", s->outside, s->outside_timed, lo, hi) : NULL;
    Py_XDECREF(lo);
    Py_XDECREF(hi);
    s->outside = s->outside_timed = 0;
    s->seen_lo = INFINITY;
    s->seen_hi = -INFINITY;
    return out;
}

/* One layout of a FIELDS scanner: [(literal before bytes, role, variable, multi, chars, dash, min, max, set), ...]
 * and the literal after the last field (fastpath.text_layouts). */
static int load_layout(TextLayoutC *L, PyObject *fields, const char *after, Py_ssize_t after_len, int exact) {
    PyObject *seq = PySequence_Fast(fields, "text_fields must be a sequence");
    if (!seq) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n < 1 || n > MAX_JSON_KEYS) {
        Py_DECREF(seq);
        PyErr_SetString(PyExc_ValueError, "text_fields must hold 1 to 128 fields");
        return -1;
    }
    L->fields = PyMem_Calloc((size_t)n, sizeof(TextField));
    L->after = PyMem_Malloc((size_t)(after_len ? after_len : 1));
    if (!L->fields || !L->after) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return -1;
    }
    memcpy(L->after, after, (size_t)after_len);
    L->after_len = after_len;
    L->exact = exact;
    for (Py_ssize_t k = 0; k < n; k++) {
        const char *lit;
        const char *set = "";
        Py_ssize_t len, min = 0, max = 65536, set_len = 0;
        int role, var, multi, chars = CHARS_ANY, dash = 0;
        TextField *tf = &L->fields[k];
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(seq, k), "y#iip|ipnny#", &lit, &len, &role, &var, &multi, &chars,
                              &dash, &min, &max, &set, &set_len)) {
            Py_DECREF(seq);
            return -1;
        }
        L->n = (int)k + 1; /* (freed by the dealloc from here on) */
        tf->lit = PyMem_Malloc((size_t)(len ? len : 1));
        if (!tf->lit) {
            Py_DECREF(seq);
            PyErr_NoMemory();
            return -1;
        }
        memcpy(tf->lit, lit, (size_t)len);
        tf->lit_len = len;
        tf->multi = multi;
        tf->chars = chars;
        tf->dash = dash;
        unsigned char high = 0; /* a set holds ASCII only */
        if (set_len == 32) {
            memcpy(tf->set, set, 32);
            for (int b = 16; b < 32; b++) high |= tf->set[b];
        }
        tf->min = min;
        tf->max = max;
        tf->key.role = role;
        tf->key.var = var;
        tf->key.expect_len = role == J_UNITS ? 2 : 0; /* (milliseconds only) */
        memcpy(tf->key.expect, "ms", 2);
        if (var < 0 || var >= MAX_JSON_VARS || role < J_SKIP || role > J_STATUS_HTTP || role == J_OBJECT ||
            role == J_START || role == J_EPOCH || role == J_SECONDS || role == J_PYTHON ||
            ((role == J_UNITS || role == J_MS_SUM) && chars != CHARS_DIGITS) || chars < CHARS_ANY || chars > CHARS_SET ||
            (chars == CHARS_SET) != (set_len == 32) || high ||
            min < 0 ||
            max < min || max > 65536 || (multi && chars != CHARS_ANY) || (dash && chars != CHARS_DIGITS)) {
            Py_DECREF(seq);
            PyErr_SetString(PyExc_ValueError, "bad text_fields entry");
            return -1;
        }
    }
    Py_DECREF(seq);
    for (int k = 0; k < L->n; k++) { /* what ends each field: the next literal's first byte */
        TextField *tf = &L->fields[k];
        const unsigned char *next = k + 1 < L->n ? L->fields[k + 1].lit : L->after;
        Py_ssize_t next_len = k + 1 < L->n ? L->fields[k + 1].lit_len : L->after_len;
        tf->last = k + 1 == L->n && next_len == 0;
        if (!tf->last && next_len == 0) {
            PyErr_SetString(PyExc_ValueError, "a field of text_fields is followed by another with no literal between");
            return -1;
        }
        tf->stop = tf->last ? 0 : next[0];
        if (tf->last ? (!L->exact && (tf->chars != CHARS_ANY || tf->dash)) || tf->chars == CHARS_QUOTED
                     : tf->multi  ? tf->stop != ' ' && tf->stop != ',' && tf->stop != '"'
                     : tf->chars == CHARS_TOKEN  ? !is_space(tf->stop)
                     : tf->chars == CHARS_BARE   ? !is_space(tf->stop) && tf->stop != '"'
                     : tf->chars == CHARS_QUOTED ? tf->stop != '"'
                     : tf->chars == CHARS_SET    ? (tf->set[tf->stop >> 3] >> (tf->stop & 7)) & 1
                     : tf->chars == CHARS_DIGITS ? is_digit(tf->stop) || (tf->dash && tf->stop == '-')
                                                 : 0) {
            PyErr_SetString(PyExc_ValueError, "a field of text_fields whose run the literal after it does not stop");
            return -1;
        }
    }
    return 0;
}

/* The layouts of a FIELDS scanner, tried in order: [(fields, after bytes, exact), ...], 1 to 16 of them. */
static int load_text_layouts(Scanner *s, PyObject *layouts) {
    PyObject *seq = PySequence_Fast(layouts, "text_layouts must be a sequence");
    if (!seq) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n < 1 || n > 16) {
        Py_DECREF(seq);
        PyErr_SetString(PyExc_ValueError, "text_layouts must hold 1 to 16 layouts");
        return -1;
    }
    s->layouts = PyMem_Calloc((size_t)n, sizeof(TextLayoutC));
    if (!s->layouts) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *fields;
        const char *after;
        Py_ssize_t after_len;
        int exact;
        s->n_layouts = (int)k + 1; /* (freed by the dealloc from here on) */
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(seq, k), "Oy#p", &fields, &after, &after_len, &exact) ||
            load_layout(&s->layouts[k], fields, after, after_len, exact) < 0) {
            Py_DECREF(seq);
            return -1;
        }
    }
    Py_DECREF(seq);
    return 0;
}

static int Scanner_init(Scanner *s, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"segment_template", "route_template", "hold_key", "hold_names", "shape", "since",
                             "until", "max_time", "json_keys", "fold_case", "hold_present", "per_second",
                             "max_duration", "text_layouts", "needles", NULL};
    /* LogFormat.fast -> how the scanner reads a line ("json", "caddy", "traefik" and "envoy" walk JSON with json_keys) */
    static const struct {
        const char *name;
        int timing;
    } shapes[] = {{"combined", TAIL_NONE}, {"timing", TAIL_POSITIONAL}, {"kv", TAIL_KV}, {"apache", TAIL_MICROS},
                  {"haproxy", HAPROXY}, {"haproxy_tcp", HAPROXY_TCP},     {"json", JSON},              {"caddy", JSON},  {"alb", ALB},
                  {"sozune", SOZUNE},       {"traefik", JSON},           {"envoy", JSON},  {"fields", FIELDS},
                  {"nginx_error", NGINX_ERROR}, {"caddy_runtime", CADDY_RUNTIME}};
    PyObject *seg, *route, *hold, *names, *since = Py_None, *until = Py_None, *json_keys = Py_None;
    PyObject *present = Py_None, *text_layouts = Py_None, *needles = Py_None;
    const char *shape;
    int timing = -1, fold_case = 0;
    double max_time = 1e13;
    long long per_second = 0;
    double max_duration = 30 * 86400.0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOOs|OOdOpOLdOO", kwlist, &seg, &route, &hold, &names, &shape,
                                     &since, &until, &max_time, &json_keys, &fold_case, &present, &per_second,
                                     &max_duration, &text_layouts, &needles))
        return -1;
    if (per_second < 0 || per_second > (1LL << 40) || !(max_duration >= 0.0 && max_duration < 1e9)) {
        PyErr_SetString(PyExc_ValueError, "per_second or max_duration out of range");
        return -1;
    }
    s->per_second = per_second;
    s->max_duration = max_duration;
    if (s->templates) {
        PyErr_SetString(PyExc_RuntimeError, "Scanner is already initialised");
        return -1;
    }
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++)
        if (strcmp(shapes[k].name, shape) == 0) timing = shapes[k].timing;
    /* (SOZUNE: its JSON lines' keys; without them, its text lines only) */
    if (timing < 0 || ((timing == JSON || timing == CADDY_RUNTIME) && json_keys == Py_None) ||
        (timing != JSON && timing != SOZUNE && timing != CADDY_RUNTIME && json_keys != Py_None)) {
        PyErr_SetString(PyExc_ValueError, "unknown shape, or json_keys given with a shape that is not JSON (or not)");
        return -1;
    }
    if ((timing == FIELDS) != (text_layouts != Py_None)) {
        PyErr_SetString(PyExc_ValueError, "text_layouts given with a shape that is not fields (or not)");
        return -1;
    }
    if (text_layouts != Py_None && load_text_layouts(s, text_layouts) < 0) return -1;
    if ((timing == NGINX_ERROR) != (needles != Py_None)) {
        PyErr_SetString(PyExc_ValueError, "needles given with a shape that is not nginx_error (or not)");
        return -1;
    }
    if (needles != Py_None) {
        PyObject *tuple = PySequence_Tuple(needles);
        if (!tuple) return -1;
        Py_ssize_t k, count = PyTuple_GET_SIZE(tuple);
        if (count > MAX_NEEDLES) {
            Py_DECREF(tuple);
            PyErr_SetString(PyExc_ValueError, "too many needles");
            return -1;
        }
        for (k = 0; k < count; k++) {
            PyObject *one = PyTuple_GET_ITEM(tuple, k);
            if (!PyBytes_Check(one) || PyBytes_GET_SIZE(one) == 0) {
                Py_DECREF(tuple);
                PyErr_SetString(PyExc_TypeError, "needles are non-empty bytes");
                return -1;
            }
            s->needle[k] = PyBytes_AS_STRING(one);
            s->needle_len[k] = PyBytes_GET_SIZE(one);
        }
        s->needles = tuple; /* owns the bytes the pointers point into */
        s->n_needles = (int)count;
    }
    s->json_fold_case = fold_case;
    if (json_keys != Py_None) { /* [(name bytes, lower case, role, var), ...] */
        PyObject *seq = PySequence_Fast(json_keys, "json_keys must be a sequence");
        if (!seq) return -1;
        Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
        if (n > MAX_JSON_KEYS) {
            Py_DECREF(seq);
            PyErr_SetString(PyExc_ValueError, "too many json_keys");
            return -1;
        }
        s->json_keys = PyMem_Calloc((size_t)(n ? n : 1), sizeof(JsonKey));
        s->json_memo = PyMem_Calloc(JSON_MEMO, sizeof(JsonMemo));
        if (!s->json_keys || !s->json_memo) {
            Py_DECREF(seq);
            PyErr_NoMemory();
            return -1;
        }
        for (Py_ssize_t k = 0; k < n; k++) {
            const char *name, *expect = "";
            Py_ssize_t len, expect_len = 0;
            int role, var, required = 0, exact = 0;
            if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(seq, k), "y#ii|py#p", &name, &len, &role, &var, &required,
                                  &expect, &expect_len, &exact)) {
                Py_DECREF(seq);
                return -1;
            }
            long long limit = expect_len >= 1 && expect_len <= 18 ? 0 : -1; /* -1: not a decimal number */
            for (Py_ssize_t x = 0; x < expect_len && limit >= 0; x++)
                limit = is_digit((unsigned char)expect[x]) ? limit * 10 + (expect[x] - '0') : -1;
            if (len > 63 || expect_len > (role >= J_NEEDLES ? 255 : 63) || var < 0 || var >= MAX_JSON_VARS ||
                role < J_SKIP || (role > J_METHOD && role < J_TEXT) || role > J_ONE_OF ||
                ((role == J_TEXT || role == J_INT_UNITS) && limit < 1) ||
                (role == J_UNITS && !(expect_len == 2 && (memcmp(expect, "ns", 2) == 0 || memcmp(expect, "ms", 2) == 0)))) {
                Py_DECREF(seq);
                PyErr_SetString(PyExc_ValueError, "bad json_keys entry");
                return -1;
            }
            memcpy(s->json_keys[k].name, name, (size_t)len);
            s->json_keys[k].len = (int)len;
            s->json_keys[k].role = role;
            s->json_keys[k].var = var;
            s->json_keys[k].next = -1;
            s->json_keys[k].required = required;
            s->json_keys[k].exact = exact;
            s->json_exact_keys |= exact;
            memcpy(s->json_keys[k].expect, expect, (size_t)expect_len);
            s->json_keys[k].expect_len = (int)expect_len;
            s->json_keys[k].limit = limit;
        }
        s->n_json_keys = (int)n;
        /* a name "parent.child" is the key "child" in the object of a J_OBJECT key "parent" (the longest such
         * parent): only there. A key named "parent.child" in any other object is another key (the readers'
         * obj.get("parent.child") is not obj["parent"]["child"]). */
        for (Py_ssize_t k = 0; k < n; k++)
            for (Py_ssize_t o = 0; o < n; o++) {
                const JsonKey *a = &s->json_keys[o];
                JsonKey *b = &s->json_keys[k];
                if (a->role == J_OBJECT && a->len + 1 < b->len && a->len + 1 > b->plen && b->name[a->len] == '.' &&
                    memcmp(a->name, b->name, (size_t)a->len) == 0)
                    b->plen = a->len + 1;
            }
        for (int m = 0; m < JSON_MEMO; m++) s->json_memo[m].parent = -2;
        for (int b = 0; b < 128; b++) s->json_bucket[b] = -1;
        for (int k = (int)n - 1; k >= 0; k--) { /* (chained in table order) */
            int b = json_bucket(s->json_keys[k].name, s->json_keys[k].len);
            s->json_keys[k].next = s->json_bucket[b];
            s->json_bucket[b] = (int16_t)k;
        }
        Py_DECREF(seq);
    }
    s->has_since = since != Py_None;
    s->has_until = until != Py_None;
    if (s->has_since && (s->since = PyFloat_AsDouble(since)) == -1.0 && PyErr_Occurred()) return -1;
    if (s->has_until && (s->until = PyFloat_AsDouble(until)) == -1.0 && PyErr_Occurred()) return -1;
    s->max_time = max_time;
    s->seen_lo = INFINITY;
    s->seen_hi = -INFINITY;
    s->stamp_len = -1;
    Py_INCREF(seg);
    Py_INCREF(route);
    Py_INCREF(hold);
    Py_INCREF(names);
    s->hold_names = names;
    Py_INCREF(present);
    s->hold_present = present;
    s->segment_template = seg;
    s->route_template = route;
    s->hold_key = hold;
    s->timing = timing;
    s->templates = PyDict_New();
    s->template_list = PyList_New(0);
    s->whole_routes = PyDict_New();
    if (!s->templates || !s->template_list || !s->whole_routes) return -1;
    PyObject *empty = PyUnicode_FromString("");
    PyObject *id = PyUnicode_FromString("{id}");
    if (!empty || !id) {
        Py_XDECREF(empty);
        Py_XDECREF(id);
        return -1;
    }
    s->empty_template = template_id(s, empty);
    s->id_template = template_id(s, id);
    s->uuid_template = s->hash_template = s->token_template = -1;
    Py_DECREF(empty);
    Py_DECREF(id);
    return (s->empty_template < 0 || s->id_template < 0) ? -1 : 0;
}

static void Scanner_dealloc(Scanner *s) {
    drop_groups(s);
    PyMem_Free(s->groups);
    PyMem_Free(s->group_slots);
    segcache_clear(&s->segs);
    segcache_clear(&s->shapes);
    if (s->whole_routes) drop_routes(s);
    PyMem_Free(s->routes);
    PyMem_Free(s->route_slots);
    PyMem_Free(s->json_keys);
    PyMem_Free(s->json_memo);
    for (int k = 0; k < s->n_layouts; k++) {
        for (int j = 0; j < s->layouts[k].n; j++) PyMem_Free(s->layouts[k].fields[j].lit);
        PyMem_Free(s->layouts[k].fields);
        PyMem_Free(s->layouts[k].after);
    }
    PyMem_Free(s->layouts);
    Py_XDECREF(s->segment_template);
    Py_XDECREF(s->route_template);
    Py_XDECREF(s->hold_key);
    Py_XDECREF(s->hold_names);
    Py_XDECREF(s->hold_present);
    Py_XDECREF(s->templates);
    Py_XDECREF(s->template_list);
    Py_XDECREF(s->whole_routes);
    Py_XDECREF(s->admitted);
    Py_XDECREF(s->refused_list);
    Py_XDECREF(s->needles);
    Py_TYPE(s)->tp_free((PyObject *)s);
}

static PyMethodDef Scanner_methods[] = {
    {"scan", (PyCFunction)Scanner_scan, METH_VARARGS,
     "scan(buffer, pos, line_no) -> (pos, lines, stop): group the lines from pos on (the one at pos is line "
     "line_no). stop 0: end of the buffer; 1: the line "
     "at pos is for the Python parser; 2: take() the groups, then scan on."},
    {"add_record", (PyCFunction)Scanner_add_record, METH_O, "Keep a record the Python parser made, in line order."},
    {"template", (PyCFunction)Scanner_template, METH_O, "template(segment bytes) -> the segment's template."},
    {"take", (PyCFunction)Scanner_take, METH_VARARGS,
     "take(limit=-1): the next groups and records (at most limit) of those since the last full take, in order."},
    {"close_routes", (PyCFunction)Scanner_close_routes, METH_VARARGS,
     "close_routes(admitted, track=False): routes admitted(route) is false for group as the overflow bucket."},
    {"refused", (PyCFunction)Scanner_refused, METH_NOARGS, "The refused routes met since the last call."},
    {"discover", (PyCFunction)Scanner_discover, METH_NOARGS,
     "From now on scan() only makes the lines' routes (routes() lists them, in order): no groups, no holds."},
    {"routes", (PyCFunction)Scanner_routes, METH_VARARGS,
     "routes(start=0): the texts of the routes made so far, from the start-th on, in the order they were made."},
    {"quiet", (PyCFunction)Scanner_quiet, METH_NOARGS,
     "NGINX_ERROR: the lines read here that add only their time (within the window), since the last quiet()."},
    {"window", (PyCFunction)Scanner_window, METH_NOARGS,
     "(left out, left out with a duration, first time or None, last time or None) since the last window()."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef Scanner_getset[] = {
    {"pending", (getter)Scanner_pending, NULL, "groups and records waiting for take()", NULL},
    {"route_count", (getter)Scanner_route_count, NULL, "how many distinct routes the lines made so far", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject ScannerType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "lpdoctor.scan._combined_fast.Scanner",
    .tp_basicsize = sizeof(Scanner),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Groups nginx combined(+timing) lines that lpdoctor treats alike.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Scanner_init,
    .tp_dealloc = (destructor)Scanner_dealloc,
    .tp_methods = Scanner_methods,
    .tp_getset = Scanner_getset,
};

/* newlines(buffer): how many b"\n" it holds, what bytes.count(b"\n") gives (which reads a byte at a time):
 * text/inputs.py counts every block's lines with it. */
static PyObject *newlines(PyObject *Py_UNUSED(module), PyObject *arg) {
    Py_buffer buf;
    if (PyObject_GetBuffer(arg, &buf, PyBUF_SIMPLE) < 0) return NULL;
    const unsigned char *p = buf.buf;
    Py_ssize_t n = buf.len, k = 0, count = 0;
#ifdef JSON_SSE2
    /* 16 bytes at a time: 16 byte-wide counters, each adding 1 (subtracting the compare's -1) for a newline in
     * its column, summed (psadbw) before any can pass 255 */
    while (k + 16 <= n) {
        __m128i acc = _mm_setzero_si128();
        for (int r = 0; r < 255 && k + 16 <= n; r++, k += 16)
            acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + k)),
                                                   _mm_set1_epi8('\n')));
        __m128i sums = _mm_sad_epu8(acc, _mm_setzero_si128());
        count += _mm_cvtsi128_si32(sums) + _mm_extract_epi16(sums, 4);
    }
#endif
    for (; k < n; k++) count += p[k] == '\n';
    PyBuffer_Release(&buf);
    return PyLong_FromSsize_t(count);
}

static PyMethodDef module_methods[] = {
    {"newlines", newlines, METH_O, "How many newline bytes the buffer holds."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_combined_fast", "Fast path for nginx combined(+timing) access logs.", -1, module_methods,
};

PyMODINIT_FUNC PyInit__combined_fast(void) {
    if (PyType_Ready(&ScannerType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    Py_INCREF(&ScannerType);
    if (PyModule_AddObject(m, "Scanner", (PyObject *)&ScannerType) < 0) {
        Py_DECREF(&ScannerType);
        Py_DECREF(m);
        return NULL;
    }
    if (PyModule_AddIntConstant(m, "SCAN_END", SCAN_END) < 0 || PyModule_AddIntConstant(m, "SCAN_PYTHON", SCAN_PYTHON) < 0 ||
        PyModule_AddIntConstant(m, "SCAN_FULL", SCAN_FULL) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
