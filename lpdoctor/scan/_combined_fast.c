/*
 * lpdoctor.scan._combined_fast: the fast path for the commonest access logs, nginx `combined` alone, with
 * the ` $request_time $upstream_response_time $upstream_status` tail, or with the samples' key=value tail
 * (formats nginx-combined, nginx-timing and nginx-kv).
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

#define MAX_SEGMENTS 12            /* routes.MAX_SEGMENTS: more parts than this go to Python whole */
#define MAX_DIGIT_ID 41            /* routes.normalize_path: all-digit segments up to this length are {id} */
#define MAX_FAST_LINE 65536        /* longer lines go to the Python parser */
#define SEGMENT_CACHE_LIMIT 32768 /* distinct segments (and cut queries) remembered before starting over */
#define ROUTE_LIMIT 8192          /* routes and templates remembered, checked when the groups are taken */
#define MAX_METHODS 64
#define GROUP_LIMIT 65536          /* groups (and Python records) before the caller must take() them */
#define VALUE_LIMIT 65536         /* distinct (group, time) counts before the caller must take() them */

enum { SCAN_END = 0, SCAN_PYTHON = 1, SCAN_FULL = 2 };
/* What follows "$http_user_agent": nothing (nginx-combined), " $request_time $upstream_response_time
 * $upstream_status" (nginx-timing), or the samples' key=value tail (nginx-kv):
 * ' rt=$request_time uct="$upstream_connect_time" uht="$upstream_header_time" urt="$upstream_response_time"
 * us="$upstream_status" ua="$upstream_addr"', every value one upstream try. */
enum { TAIL_NONE = 0, TAIL_POSITIONAL = 1, TAIL_KV = 2 };

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

typedef struct {
    int64_t *keys;
    int64_t *counts;
    Py_ssize_t cap; /* a power of two, or 0: then the one key so far (if len is 1) is kept inline */
    Py_ssize_t len;
    int64_t one_key, one_count;
} CountMap;

#define EMPTY_KEY INT64_MIN

static int countmap_grow(CountMap *m) {
    Py_ssize_t cap = m->cap ? m->cap * 2 : 8;
    int64_t *keys = PyMem_Malloc(sizeof(int64_t) * (size_t)cap);
    int64_t *counts = PyMem_Malloc(sizeof(int64_t) * (size_t)cap);
    if (!keys || !counts) {
        PyMem_Free(keys);
        PyMem_Free(counts);
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
    }
    PyMem_Free(m->keys);
    PyMem_Free(m->counts);
    m->keys = keys;
    m->counts = counts;
    m->cap = cap;
    return 0;
}

/* Returns 1 when the key is new, 0 when it was there, -1 on error. Most groups hold one value: no table. */
static int countmap_add(CountMap *m, int64_t key) {
    if (m->cap == 0) {
        if (m->len == 0) {
            m->one_key = key;
            m->one_count = 1;
            m->len = 1;
            return 1;
        }
        if (m->one_key == key) {
            m->one_count++;
            return 0;
        }
        if (countmap_grow(m) < 0) return -1;
        Py_ssize_t j = (Py_ssize_t)(mix64((uint64_t)m->one_key) & (uint64_t)(m->cap - 1));
        m->keys[j] = m->one_key;
        m->counts[j] = m->one_count;
    }
    if ((m->len + 1) * 4 > m->cap * 3 && countmap_grow(m) < 0) return -1;
    Py_ssize_t j = (Py_ssize_t)(mix64((uint64_t)key) & (uint64_t)(m->cap - 1));
    while (m->keys[j] != EMPTY_KEY) {
        if (m->keys[j] == key) {
            m->counts[j]++;
            return 0;
        }
        j = (j + 1) & (m->cap - 1);
    }
    m->keys[j] = key;
    m->counts[j] = 1;
    m->len++;
    return 1;
}

static void countmap_free(CountMap *m) {
    PyMem_Free(m->keys);
    PyMem_Free(m->counts);
    m->keys = m->counts = NULL;
    m->cap = m->len = 0;
}

/* [(key, count), ...] in key order is not needed: Python sorts what it needs. In table order. */
static PyObject *countmap_items(const CountMap *m) {
    PyObject *out = PyList_New(m->len);
    if (!out) return NULL;
    if (m->cap == 0) {
        if (m->len == 1) {
            PyObject *pair = Py_BuildValue("(LL)", (long long)m->one_key, (long long)m->one_count);
            if (!pair) {
                Py_DECREF(out);
                return NULL;
            }
            PyList_SET_ITEM(out, 0, pair);
        }
        return out;
    }
    Py_ssize_t k = 0;
    for (Py_ssize_t i = 0; i < m->cap; i++) {
        if (m->keys[i] == EMPTY_KEY) continue;
        PyObject *pair = Py_BuildValue("(LL)", (long long)m->keys[i], (long long)m->counts[i]);
        if (!pair) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SET_ITEM(out, k++, pair);
    }
    return out;
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
} Route;

/* ------------------------------------------------------------------------------------------ groups */

typedef struct {
    int32_t route, method, status, upstream_status, hold;
    int32_t no_header; /* key=value tail: uht="-" (the upstream sent no header); 0 otherwise */
} GroupKey;

typedef struct {
    GroupKey key;
    PyObject *first; /* the group's first line (bytes), or, for a Python record, the record itself */
    int is_record;
    long long first_line;
    long long count;
    CountMap request_ms;  /* $request_time in ms -> lines */
    CountMap upstream_ms; /* $upstream_response_time in ms (-1 for "-") -> lines */
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
    SegCache holds;             /* route id + the query cut to those parameters -> hold id */
    int timing; /* TAIL_NONE, TAIL_POSITIONAL or TAIL_KV */
    SegCache segs;
    SegCache shapes;            /* a segment with its digits made "0" -> template id, for digit-free templates */
    PyObject *templates;   /* dict: template str -> id */
    PyObject *template_list; /* list: id -> template str */
    int32_t id_template; /* id of "{id}" */
    int32_t empty_template;
    PyObject *whole_routes; /* dict: route str -> route id, for routes from route_template */
    RouteSlot *route_slots;
    Py_ssize_t route_cap, route_slot_len;
    Route *routes;
    Py_ssize_t routes_len, routes_cap;
    char methods[MAX_METHODS][21];
    int method_len[MAX_METHODS];
    int n_methods;
    Group *groups;
    Py_ssize_t groups_len, groups_cap;
    GroupSlot *group_slots;
    Py_ssize_t group_slot_cap;
    Py_ssize_t values; /* entries in all the groups' count maps */
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
 * that of every segment with the same "shape" (digits made "0"): /img/61141.png and /img/88812.png cost one
 * call to segment_template. A template holding digits (v2, jquery-3.6.0.min.js) is cached for its exact bytes. */
static int32_t segment_id(Scanner *s, const unsigned char *p, Py_ssize_t n) {
    if (n == 0) return s->empty_template;
    if (n <= MAX_DIGIT_ID) {
        Py_ssize_t i = 0;
        while (i < n && p[i] >= '0' && p[i] <= '9') i++;
        if (i == n) return s->id_template;
    }
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
    PyObject *seg = PyUnicode_DecodeASCII((const char *)p, n, "strict");
    if (!seg) return -1;
    PyObject *template = PyObject_CallOneArg(s->segment_template, seg);
    Py_DECREF(seg);
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

static int32_t new_route(Scanner *s, PyObject *text) {
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

/* Any other path: normalize_path itself, through the route_template callback. */
static int32_t route_of_whole(Scanner *s, const unsigned char *p, Py_ssize_t n) {
    PyObject *path = PyUnicode_DecodeASCII((const char *)p, n, "strict");
    if (!path) return -1;
    PyObject *text = PyObject_CallOneArg(s->route_template, path);
    Py_DECREF(path);
    if (!text) return -1;
    PyObject *known = PyDict_GetItemWithError(s->whole_routes, text);
    int32_t route;
    if (known) {
        route = (int32_t)PyLong_AsLong(known);
    } else if (PyErr_Occurred()) {
        route = -1;
    } else {
        route = new_route(s, text);
        PyObject *num = route >= 0 ? PyLong_FromLong(route) : NULL;
        if (!num || PyDict_SetItem(s->whole_routes, text, num) < 0) route = -1;
        Py_XDECREF(num);
    }
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
                memcpy(cut + len, part, (size_t)part_len);
                len += part_len;
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

static Group *group_for(Scanner *s, const GroupKey *key, const unsigned char *line, Py_ssize_t len,
                        long long line_no) {
    if ((s->groups_len + 1) * 2 > s->group_slot_cap && group_slots_grow(s) < 0) return NULL;
    uint64_t h = hash_bytes((const unsigned char *)key, (Py_ssize_t)sizeof(GroupKey));
    Py_ssize_t j = (Py_ssize_t)(h & (uint64_t)(s->group_slot_cap - 1));
    while (s->group_slots[j].group >= 0) {
        Group *g = &s->groups[s->group_slots[j].group];
        if (s->group_slots[j].hash == h && memcmp(&g->key, key, sizeof(GroupKey)) == 0) return g;
        j = (j + 1) & (s->group_slot_cap - 1);
    }
    PyObject *first = PyBytes_FromStringAndSize((const char *)line, len);
    if (!first) return NULL;
    Group *g = append_entry(s);
    if (!g) {
        Py_DECREF(first);
        return NULL;
    }
    g->key = *key;
    g->first = first;
    g->first_line = line_no;
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
        countmap_free(&g->request_ms);
        countmap_free(&g->upstream_ms);
    }
    s->groups_len = 0;
    s->values = 0;
    for (Py_ssize_t i = 0; i < s->group_slot_cap; i++) s->group_slots[i].group = -1;
}

/* ---------------------------------------------------------------------------------- line parsing */

static inline int is_space(unsigned char c) { /* str.isspace() for ASCII */
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}
static inline int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

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
} Fields;

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
    i = k + 1;
    if (i + 2 > end || p[i] != ' ' || p[i + 1] != '"') return 0;
    i += 2;
    /* "$request": METHOD SP target [SP HTTP/x.y] */
    Py_ssize_t req_end = field_until(p, i, end, '"', 0, 65536);
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
    /* split_target: drop "#...", then cut at the first "?" */
    Py_ssize_t cut = t;
    while (cut < target_end && p[cut] != '#') cut++;
    Py_ssize_t q = t;
    while (q < cut && p[q] != '?') q++;
    f->path = p + t;
    f->path_len = q - t;
    f->query = q < cut ? p + q + 1 : p + cut;
    f->query_len = q < cut ? cut - q - 1 : 0;
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
    if ((k = field_until(p, i + 2, end, '"', 0, 65536)) < 0) return 0;
    i = k + 1;
    if (i + 2 > end || p[i] != ' ' || p[i + 1] != '"') return 0;
    if ((k = field_until(p, i + 2, end, '"', 0, 65536)) < 0) return 0;
    i = k + 1;
    f->no_header = 0;
    if (timing == TAIL_NONE) {
        f->request_ms = f->upstream_ms = -1;
        f->upstream_status = -1;
        return i == end;
    }
    if (timing == TAIL_KV) return parse_kv_tail(p, i, end, f);
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
        Fields f;
        if (text_len > MAX_FAST_LINE || !parse_line(line, text_len, s->timing, &f)) {
            stop = SCAN_PYTHON;
            break;
        }
        int method = method_id(s, f.method, f.method_len);
        if (method < 0) {
            stop = SCAN_PYTHON;
            break;
        }
        GroupKey key;
        memset(&key, 0, sizeof key);
        key.route = route_id(s, f.path, f.path_len);
        if (key.route < 0) goto done;
        key.hold = hold_id(s, key.route, f.query, f.query_len);
        if (key.hold < 0) goto done;
        key.method = method;
        key.status = f.status;
        key.upstream_status = f.upstream_status;
        key.no_header = f.no_header;
        Group *g = group_for(s, &key, line, text_len, line_no + lines);
        if (!g) goto done;
        g->count++;
        if (s->timing) {
            int added = countmap_add(&g->request_ms, f.request_ms);
            if (added < 0) goto done;
            s->values += added;
            added = countmap_add(&g->upstream_ms, f.upstream_ms);
            if (added < 0) goto done;
            s->values += added;
        }
        lines++;
        pos = next;
    }
    result = Py_BuildValue("(nLi)", pos, lines, stop);
done:
    PyBuffer_Release(&buf);
    return result;
}

static PyObject *Scanner_add_record(Scanner *s, PyObject *record) {
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
static PyObject *Scanner_take(Scanner *s, PyObject *Py_UNUSED(ignored)) {
    PyObject *out = PyList_New(s->groups_len);
    if (!out) return NULL;
    for (Py_ssize_t i = 0; i < s->groups_len; i++) {
        Group *g = &s->groups[i];
        PyObject *item;
        if (g->is_record) {
            item = g->first;
            Py_INCREF(item);
        } else {
            PyObject *req = countmap_items(&g->request_ms);
            PyObject *up = req ? countmap_items(&g->upstream_ms) : NULL;
            PyObject *key = up ? Py_BuildValue("(Oiiiii)", s->routes[g->key.route].text, g->key.method,
                                               g->key.status, g->key.upstream_status, g->key.hold, g->key.no_header)
                               : NULL;
            item = key ? Py_BuildValue("(OLLOOO)", g->first, g->first_line, g->count, req, up, key) : NULL;
            Py_XDECREF(req);
            Py_XDECREF(up);
            Py_XDECREF(key);
        }
        if (!item) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SET_ITEM(out, i, item);
    }
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

static PyObject *Scanner_pending(Scanner *s, void *Py_UNUSED(closure)) { return PyLong_FromSsize_t(s->groups_len); }

static int Scanner_init(Scanner *s, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"segment_template", "route_template", "hold_key", "hold_names", "timing", "kv", NULL};
    PyObject *seg, *route, *hold, *names;
    int timing, kv = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOOp|p", kwlist, &seg, &route, &hold, &names, &timing, &kv))
        return -1;
    if (kv) timing = TAIL_KV;
    if (s->templates) {
        PyErr_SetString(PyExc_RuntimeError, "Scanner is already initialised");
        return -1;
    }
    Py_INCREF(seg);
    Py_INCREF(route);
    Py_INCREF(hold);
    Py_INCREF(names);
    s->hold_names = names;
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
    Py_XDECREF(s->segment_template);
    Py_XDECREF(s->route_template);
    Py_XDECREF(s->hold_key);
    Py_XDECREF(s->hold_names);
    Py_XDECREF(s->templates);
    Py_XDECREF(s->template_list);
    Py_XDECREF(s->whole_routes);
    Py_TYPE(s)->tp_free((PyObject *)s);
}

static PyMethodDef Scanner_methods[] = {
    {"scan", (PyCFunction)Scanner_scan, METH_VARARGS,
     "scan(buffer, pos, line_no) -> (pos, lines, stop): group the lines from pos on (the one at pos is line "
     "line_no). stop 0: end of the buffer; 1: the line "
     "at pos is for the Python parser; 2: take() the groups, then scan on."},
    {"add_record", (PyCFunction)Scanner_add_record, METH_O, "Keep a record the Python parser made, in line order."},
    {"take", (PyCFunction)Scanner_take, METH_NOARGS, "Every group and record since the last take(), in order."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef Scanner_getset[] = {
    {"pending", (getter)Scanner_pending, NULL, "groups and records waiting for take()", NULL},
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

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_combined_fast", "Fast path for nginx combined(+timing) access logs.", -1, NULL,
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
