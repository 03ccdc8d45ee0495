/*
 * The hot loop of openpiu's EDIFACT reader, in C.
 *
 * tokenize_plain() does exactly what edifact._tokenize_plain_python() does (that function is the
 * reference and the fallback; a property test keeps the two equal): split a region of text on the
 * segment terminator, rejoining pieces whose terminator was released; skip blanks between
 * segments; join hard-wrapped lines; check the tag; split elements and components, honouring and
 * removing release characters. Values are cut straight out of the input string; only values that
 * held a release character or a line break are copied.
 *
 * Only single-byte offsets are handled here (byte offset = base + position); the Python code keeps
 * the multibyte case.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

typedef struct {
    PyObject **items;
    Py_ssize_t len, cap;
} Stack;

static int push(Stack *s, PyObject *item) {
    if (s->len == s->cap) {
        Py_ssize_t cap = s->cap ? s->cap * 2 : 16;
        PyObject **items = PyMem_Realloc(s->items, sizeof(PyObject *) * cap);
        if (!items) { Py_DECREF(item); PyErr_NoMemory(); return -1; }
        s->items = items;
        s->cap = cap;
    }
    s->items[s->len++] = item; /* steals the reference */
    return 0;
}

/* A tuple of the stack's top `count` items (references move into it). */
static PyObject *pop_tuple(Stack *s, Py_ssize_t count) {
    PyObject *tuple = PyTuple_New(count);
    if (!tuple) return NULL;
    for (Py_ssize_t i = 0; i < count; i++) PyTuple_SET_ITEM(tuple, i, s->items[s->len - count + i]);
    s->len -= count;
    return tuple;
}

static void clear(Stack *s) {
    for (Py_ssize_t i = 0; i < s->len; i++) Py_DECREF(s->items[i]);
    s->len = 0;
}

typedef struct {
    int kind;
    const void *data;
    Py_UCS4 comp, elem, rel, term;
    int has_rel;
    Py_UCS4 *scratch;
} Reader;

#define AT(r, i) PyUnicode_READ((r)->kind, (r)->data, (i))

static int is_blank(Py_UCS4 ch) {
    return ch == ' ' || ch == '\r' || ch == '\n' || ch == '\t' || ch <= 3;
}

/* One value src[a:b]: cut out directly, or unescaped through the scratch buffer. */
static PyObject *value(Reader *r, PyObject *src, Py_ssize_t a, Py_ssize_t b, int released) {
    if (!released) return PyUnicode_Substring(src, a, b);
    Py_ssize_t len = 0;
    for (Py_ssize_t i = a; i < b; i++) {
        Py_UCS4 c = AT(r, i);
        if (c == r->rel) {
            if (i + 1 < b) r->scratch[len++] = AT(r, i + 1);
            i++; /* a release at the very end is dropped */
            continue;
        }
        r->scratch[len++] = c;
    }
    return PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, r->scratch, len);
}

/* The elements of src[a:b], which starts with the element separator (or is empty). */
static PyObject *elements(Reader *r, PyObject *src, Py_ssize_t a, Py_ssize_t b, Stack *stack) {
    Py_ssize_t base = stack->len;
    Py_ssize_t i = a;
    while (i < b) { /* skip to the first element separator, as split()[1:] does */
        Py_UCS4 c = AT(r, i);
        if (r->has_rel && c == r->rel) { i += 2; continue; }
        if (c == r->elem) break;
        i++;
    }
    if (i >= b) return PyTuple_New(0);
    i++;
    Py_ssize_t n_elements = 0, n_components = 0, start = i;
    int released = 0;
    for (;;) {
        Py_UCS4 c = i < b ? AT(r, i) : 0;
        if (i >= b || c == r->elem || c == r->comp) {
            PyObject *v = value(r, src, start, i, released);
            if (!v || push(stack, v) < 0) goto fail;
            n_components++;
            released = 0;
            if (i >= b || c == r->elem) {
                PyObject *element = pop_tuple(stack, n_components);
                if (!element || push(stack, element) < 0) goto fail;
                n_elements++;
                n_components = 0;
                if (i >= b) break;
            }
            start = ++i;
            continue;
        }
        if (r->has_rel && c == r->rel) { released = 1; i += 2; if (i > b) i = b; continue; }
        i++;
    }
    return pop_tuple(stack, n_elements);
fail:
    while (stack->len > base) Py_DECREF(stack->items[--stack->len]);
    return NULL;
}

static int is_tag(Reader *r, PyObject *src, Py_ssize_t a, Py_ssize_t b) {
    if (b - a < 3) return 0;
    Py_UCS4 c = AT(r, a);
    if (c < 'A' || c > 'Z') return 0;
    for (int k = 1; k < 3; k++) {
        c = AT(r, a + k);
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return 0;
    }
    return 1;
}

static int append_segment(PyObject *segments, PyTypeObject *type, PyObject *tag, PyObject *els,
                          Py_ssize_t number, Py_ssize_t offset, PyObject *raw) {
    PyObject *seg = type->tp_alloc(type, 5);
    PyObject *num = PyLong_FromSsize_t(number);
    PyObject *off = PyLong_FromSsize_t(offset);
    if (!seg || !num || !off) { Py_XDECREF(seg); Py_XDECREF(num); Py_XDECREF(off); return -1; }
    Py_INCREF(tag);
    Py_INCREF(els);
    Py_INCREF(raw);
    PyTuple_SET_ITEM(seg, 0, tag);
    PyTuple_SET_ITEM(seg, 1, els);
    PyTuple_SET_ITEM(seg, 2, num);
    PyTuple_SET_ITEM(seg, 3, off);
    PyTuple_SET_ITEM(seg, 4, raw);
    int rc = PyList_Append(segments, seg);
    Py_DECREF(seg);
    return rc;
}

static Py_UCS4 one_char(PyObject *s, int *present) {
    *present = PyUnicode_GET_LENGTH(s) > 0;
    return *present ? PyUnicode_READ_CHAR(s, 0) : 0;
}

/* One segment text src[a:b] (already without blanks in front and without line breaks). */
static int segment(Reader *r, PyObject *src, Py_ssize_t a, Py_ssize_t b, Py_ssize_t number,
                   Py_ssize_t offset, PyTypeObject *type, PyObject *segments, PyObject *bad,
                   Stack *stack, PyObject *no_tag, PyObject *empty) {
    PyObject *raw = PyUnicode_Substring(src, a, b);
    if (!raw) return -1;
    int ok = is_tag(r, src, a, b) && (b - a == 3 || AT(r, a + 3) == r->elem);
    int rc;
    if (ok) {
        PyObject *tag = PyUnicode_Substring(src, a, a + 3);
        PyObject *els = tag ? elements(r, src, a + 3, b, stack) : NULL;
        rc = (tag && els) ? append_segment(segments, type, tag, els, number, offset, raw) : -1;
        Py_XDECREF(tag);
        Py_XDECREF(els);
    } else {
        PyObject *item = Py_BuildValue("(nn)", number, offset);
        rc = item ? PyList_Append(bad, item) : -1;
        Py_XDECREF(item);
        if (rc == 0) rc = append_segment(segments, type, no_tag, empty, number, offset, raw);
    }
    Py_DECREF(raw);
    return rc;
}

static PyObject *tokenize_plain(PyObject *self, PyObject *args) {
    PyObject *region, *comp_s, *elem_s, *rel_s, *term_s;
    Py_ssize_t start, number, base;
    PyTypeObject *type;
    if (!PyArg_ParseTuple(args, "UnUUUUnnO!", &region, &start, &comp_s, &elem_s, &rel_s, &term_s,
                          &number, &base, &PyType_Type, &type))
        return NULL;
    Reader r;
    int present;
    r.kind = PyUnicode_KIND(region);
    r.data = PyUnicode_DATA(region);
    r.comp = one_char(comp_s, &present);
    r.elem = one_char(elem_s, &present);
    r.term = one_char(term_s, &present);
    r.rel = one_char(rel_s, &r.has_rel);
    Py_ssize_t n = PyUnicode_GET_LENGTH(region);
    r.scratch = PyMem_Malloc(sizeof(Py_UCS4) * (n + 8));
    Py_UCS4 *joined = PyMem_Malloc(sizeof(Py_UCS4) * (n + 8));
    Stack stack = {NULL, 0, 0};
    PyObject *segments = PyList_New(0);
    PyObject *bad = PyList_New(0);
    PyObject *empty = PyTuple_New(0);
    PyObject *no_tag = PyUnicode_FromString("");
    /* Nothing made here can form a cycle: spare the collector its scans of every new tuple. */
    int collecting = PyGC_Disable();
    if (!r.scratch || !joined || !segments || !bad || !empty || !no_tag) goto fail;

    Py_ssize_t piece = 0;
    for (Py_ssize_t i = 0; i <= n; i++) {
        if (i < n) {
            if (AT(&r, i) != r.term) continue;
            if (r.has_rel) {
                Py_ssize_t run = 0;
                for (Py_ssize_t j = i - 1; j >= piece && AT(&r, j) == r.rel; j--) run++;
                if (run % 2 == 1) continue; /* a released terminator is data */
            }
        }
        Py_ssize_t a = piece, b = i;
        piece = i + 1;
        while (a < b && is_blank(AT(&r, a))) a++;
        if (a >= b) continue;
        Py_ssize_t offset = base + start + a;
        int rewrite = 0;
        for (Py_ssize_t j = a; j < b; j++) {
            Py_UCS4 c = AT(&r, j);
            if (c == '\n' || c == '\r') { rewrite = 1; break; }
        }
        if (b - a > 3 && AT(&r, a + 3) == ' ') rewrite = 1; /* maybe `UNG *PAXLST` */
        int rc;
        if (!rewrite) {
            rc = segment(&r, region, a, b, number, offset, type, segments, bad, &stack, no_tag,
                         empty);
        } else {
            /* Join wrapped lines; drop spaces between the tag and its first separator. */
            Py_ssize_t m = 0;
            for (Py_ssize_t j = a; j < b; j++) {
                Py_UCS4 c = AT(&r, j);
                if (c != '\n' && c != '\r') joined[m++] = c;
            }
            if (m > 3 && joined[3] == ' ') {
                Py_ssize_t k = 3;
                while (k < m && joined[k] == ' ') k++;
                if (k < m && joined[k] == r.elem) {
                    memmove(joined + 3, joined + k, (m - k) * sizeof(Py_UCS4));
                    m -= k - 3;
                }
            }
            PyObject *copy = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, joined, m);
            if (!copy) goto fail;
            Reader local = r;
            local.kind = PyUnicode_KIND(copy);
            local.data = PyUnicode_DATA(copy);
            rc = segment(&local, copy, 0, m, number, offset, type, segments, bad, &stack, no_tag,
                         empty);
            Py_DECREF(copy);
        }
        if (rc < 0) goto fail;
        number++;
    }
    if (collecting) PyGC_Enable();
    PyMem_Free(r.scratch);
    PyMem_Free(joined);
    clear(&stack);
    PyMem_Free(stack.items);
    Py_DECREF(empty);
    Py_DECREF(no_tag);
    return Py_BuildValue("(NN)", segments, bad);
fail:
    if (collecting) PyGC_Enable();
    PyMem_Free(r.scratch);
    PyMem_Free(joined);
    clear(&stack);
    PyMem_Free(stack.items);
    Py_XDECREF(segments);
    Py_XDECREF(bad);
    Py_XDECREF(empty);
    Py_XDECREF(no_tag);
    return NULL;
}

static PyMethodDef methods[] = {
    {"tokenize_plain", tokenize_plain, METH_VARARGS,
     "tokenize_plain(region, start, component, element, release, terminator, number, base, "
     "segment_type) -> (segments, not_segments)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_edifact_speedups",
                                    "The EDIFACT reader's hot loop in C.", -1, methods};

PyMODINIT_FUNC PyInit__edifact_speedups(void) { return PyModule_Create(&module); }
