/*
 * recursa._fastflatten: parse a source with tree-sitter and flatten the tree into pre-order arrays in C.
 *
 * The pure-Python walk costs ~1 us per node (one Python object per node and per attribute); this module
 * walks the tree with a TreeCursor in C and hands back flat int64 buffers, so source -> TreeBatch is
 * bounded by tree-sitter's own parse speed. It is built against the tree-sitter runtime (see setup.py);
 * recursa.trees.flatten falls back to the Python walk when it is not available.
 *
 * parse_flatten(language, source: bytes, kind_offset: int, drop: bytes | None)
 *   language: the grammar package's language() result (PyCapsule or int pointer)
 *   drop: a byte per grammar symbol; leaves whose symbol byte is 1 are left out (punctuation)
 * -> (count, parent, kind, named, start, end, depth, token, height, rank, start_line, start_col, end_line,
 *     end_col, has_error); the arrays are int64 (named: uint8) buffers as bytes objects, in pre-order.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <tree_sitter/api.h>

#define TOKEN_VOCAB 8192
#define SMALL_INTS 256
#define TS_ERROR_SYMBOL 0xFFFF

static uint32_t crc_table[256];

static void crc_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc32_bytes(const unsigned char *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

/* Must agree with recursa.trees.flatten.token_id. */
static int64_t token_id(const unsigned char *p, size_t n) {
    if (n >= 1 && n <= 3) {
        int digits = 1;
        int v = 0;
        for (size_t i = 0; i < n; i++) {
            if (p[i] < '0' || p[i] > '9') { digits = 0; break; }
            v = v * 10 + (p[i] - '0');
        }
        if (digits && v < SMALL_INTS) return 1 + v;
    }
    return 1 + SMALL_INTS + (int64_t)(crc32_bytes(p, n) % (TOKEN_VOCAB - 1 - SMALL_INTS));
}

static const TSLanguage *language_from(PyObject *obj) {
    if (PyCapsule_CheckExact(obj)) {
        return (const TSLanguage *)PyCapsule_GetPointer(obj, PyCapsule_GetName(obj));
    }
    if (PyLong_Check(obj)) {
        return (const TSLanguage *)PyLong_AsVoidPtr(obj);
    }
    PyErr_SetString(PyExc_TypeError, "language must be a PyCapsule or an int pointer");
    return NULL;
}

typedef struct {
    int64_t *parent, *kind, *start, *end, *depth, *token, *height, *rank, *sline, *scol, *eline, *ecol;
    uint8_t *named;
    size_t count, cap;
} Out;

static int out_grow(Out *o, size_t need) {
    if (need <= o->cap) return 1;
    size_t cap = o->cap ? o->cap : 1024;
    while (cap < need) cap *= 2;
#define GROW(f, t) do { void *q = realloc(o->f, cap * sizeof(t)); if (!q) return 0; o->f = q; } while (0)
    GROW(parent, int64_t); GROW(kind, int64_t); GROW(start, int64_t); GROW(end, int64_t);
    GROW(depth, int64_t); GROW(token, int64_t); GROW(named, uint8_t); GROW(height, int64_t);
    GROW(rank, int64_t); GROW(sline, int64_t); GROW(scol, int64_t); GROW(eline, int64_t); GROW(ecol, int64_t);
#undef GROW
    o->cap = cap;
    return 1;
}

static void out_free(Out *o) {
    free(o->parent); free(o->kind); free(o->start); free(o->end); free(o->depth); free(o->token);
    free(o->named); free(o->height); free(o->rank); free(o->sline); free(o->scol); free(o->eline);
    free(o->ecol);
}

/* Returns 1 on success, 0 on allocation failure. */
static int walk(TSTree *tree, const unsigned char *src, int64_t offset, const uint8_t *drop, size_t ndrop,
                Out *o) {
    TSNode root = ts_tree_root_node(tree);
    if (!out_grow(o, ts_node_descendant_count(root) + 1)) return 0;
    size_t stack_cap = 256;
    /* per depth: pre-order index of the open ancestor, and how many of its children were kept so far */
    int64_t *stack = malloc(stack_cap * sizeof(int64_t));
    int64_t *nkids = malloc((stack_cap + 1) * sizeof(int64_t));
    if (!stack || !nkids) { free(stack); free(nkids); return 0; }
    nkids[0] = 0;
    TSTreeCursor cur = ts_tree_cursor_new(root);
    int64_t d = 0;
    for (;;) {
        TSNode n = ts_tree_cursor_current_node(&cur);
        TSSymbol sym = ts_node_symbol(n);
        uint32_t nchild = ts_node_child_count(n);
        int keep = !(nchild == 0 && sym < ndrop && drop[sym]);
        if (keep) {
            size_t i = o->count++;
            if (!out_grow(o, o->count)) { free(stack); free(nkids); ts_tree_cursor_delete(&cur); return 0; }
            uint32_t s = ts_node_start_byte(n), e = ts_node_end_byte(n);
            int is_named = ts_node_is_named(n);
            o->parent[i] = d ? stack[d - 1] : -1;
            o->kind[i] = sym == TS_ERROR_SYMBOL ? 0 : 1 + offset + (int64_t)sym;
            o->named[i] = (uint8_t)is_named;
            o->start[i] = s;
            o->end[i] = e;
            o->depth[i] = d;
            o->token[i] = (nchild == 0 && is_named && e > s) ? token_id(src + s, e - s) : 0;
            TSPoint sp = ts_node_start_point(n), ep = ts_node_end_point(n);
            o->sline[i] = sp.row;
            o->scol[i] = sp.column;
            o->eline[i] = ep.row;
            o->ecol[i] = ep.column;
            o->height[i] = 0;
            o->rank[i] = d ? nkids[d]++ : 0;
            if ((size_t)d + 1 >= stack_cap) {
                stack_cap *= 2;
                int64_t *q = realloc(stack, stack_cap * sizeof(int64_t));
                int64_t *r = q ? realloc(nkids, (stack_cap + 1) * sizeof(int64_t)) : NULL;
                if (q) stack = q;
                if (r) nkids = r;
                if (!q || !r) { free(stack); free(nkids); ts_tree_cursor_delete(&cur); return 0; }
            }
            stack[d] = (int64_t)i;
            nkids[d + 1] = 0;
        }
        if (keep && ts_tree_cursor_goto_first_child(&cur)) { d++; continue; }
        /* a dropped node is a leaf: move on to its next sibling, or climb */
        while (!ts_tree_cursor_goto_next_sibling(&cur)) {
            if (!ts_tree_cursor_goto_parent(&cur)) goto done;
            d--;
        }
    }
done:
    ts_tree_cursor_delete(&cur);
    free(stack);
    free(nkids);
    /* heights: children follow their parent in pre-order, so one backward pass settles every node */
    for (size_t i = o->count; i-- > 1;) {
        int64_t p = o->parent[i];
        if (p >= 0 && o->height[p] < o->height[i] + 1) o->height[p] = o->height[i] + 1;
    }
    return 1;
}

static PyObject *as_bytes(const void *p, size_t n) {
    return PyBytes_FromStringAndSize((const char *)p, (Py_ssize_t)n);
}

static PyObject *parse_flatten(PyObject *self, PyObject *args) {
    PyObject *lang_obj, *drop_obj;
    Py_buffer src;
    long long offset;
    if (!PyArg_ParseTuple(args, "Oy*LO", &lang_obj, &src, &offset, &drop_obj)) return NULL;
    const TSLanguage *lang = language_from(lang_obj);
    if (!lang) { PyBuffer_Release(&src); return NULL; }
    const uint8_t *drop = NULL;
    Py_ssize_t ndrop = 0;
    if (drop_obj != Py_None) {
        if (!PyBytes_Check(drop_obj)) {
            PyBuffer_Release(&src);
            PyErr_SetString(PyExc_TypeError, "drop must be bytes or None");
            return NULL;
        }
        drop = (const uint8_t *)PyBytes_AS_STRING(drop_obj);
        ndrop = PyBytes_GET_SIZE(drop_obj);
    }
    /* one parser per thread, kept between calls (creating one per call dominates for small sources) */
    static _Thread_local TSParser *parser = NULL;
    static _Thread_local const TSLanguage *parser_lang = NULL;
    if (!parser) parser = ts_parser_new();
    if (parser_lang != lang && !ts_parser_set_language(parser, lang)) {
        parser_lang = NULL;
        PyBuffer_Release(&src);
        PyErr_SetString(PyExc_ValueError, "incompatible tree-sitter language version");
        return NULL;
    }
    parser_lang = lang;
    Out o;
    memset(&o, 0, sizeof o);
    int ok = 1, has_error = 0;
    TSTree *tree = NULL;
    Py_BEGIN_ALLOW_THREADS
    tree = ts_parser_parse_string(parser, NULL, (const char *)src.buf, (uint32_t)src.len);
    if (tree) {
        has_error = ts_node_has_error(ts_tree_root_node(tree));
        ok = walk(tree, (const unsigned char *)src.buf, offset, drop, (size_t)ndrop, &o);
        ts_tree_delete(tree);
    }
    Py_END_ALLOW_THREADS
    ts_parser_reset(parser);
    PyBuffer_Release(&src);
    if (!tree) { out_free(&o); PyErr_SetString(PyExc_RuntimeError, "tree-sitter failed to parse"); return NULL; }
    if (!ok) { out_free(&o); return PyErr_NoMemory(); }
    size_t n = o.count;
    PyObject *res = Py_BuildValue(
        "nNNNNNNNNNNNNNi", (Py_ssize_t)n, as_bytes(o.parent, n * 8), as_bytes(o.kind, n * 8),
        as_bytes(o.named, n), as_bytes(o.start, n * 8), as_bytes(o.end, n * 8), as_bytes(o.depth, n * 8),
        as_bytes(o.token, n * 8), as_bytes(o.height, n * 8), as_bytes(o.rank, n * 8), as_bytes(o.sline, n * 8),
        as_bytes(o.scol, n * 8), as_bytes(o.eline, n * 8), as_bytes(o.ecol, n * 8), has_error);
    out_free(&o);
    return res;
}

static PyObject *py_token_id(PyObject *self, PyObject *args) {
    Py_buffer b;
    if (!PyArg_ParseTuple(args, "y*", &b)) return NULL;
    int64_t t = token_id((const unsigned char *)b.buf, (size_t)b.len);
    PyBuffer_Release(&b);
    return PyLong_FromLongLong(t);
}

/*
 * assemble(fields, outputs, tree_out, level_counts)
 *   fields: a list of F lists (one per node field, parent first), each holding T int64 buffers (one per tree,
 *           pre-order); field 1 of the list order given by the caller must be `height` (see HEIGHT_FIELD).
 *   outputs: F writable int64 buffers of length N (sum of tree sizes); tree_out: writable int64 buffer (N).
 *   level_counts: writable int64 buffer of max height + 1 zeros; filled with the number of nodes per height.
 * Writes every field in level order (height, tree, pre-order) with a counting sort, and rewrites parents as
 * batch indices. Returns None.
 */
#define HEIGHT_FIELD 1

static PyObject *assemble(PyObject *self, PyObject *args) {
    PyObject *fields, *outputs, *tree_out_obj, *counts_obj;
    if (!PyArg_ParseTuple(args, "O!O!OO", &PyList_Type, &fields, &PyList_Type, &outputs, &tree_out_obj,
                          &counts_obj))
        return NULL;
    Py_ssize_t nf = PyList_GET_SIZE(fields);
    if (nf < 2 || PyList_GET_SIZE(outputs) != nf) {
        PyErr_SetString(PyExc_ValueError, "fields and outputs must be lists of the same length >= 2");
        return NULL;
    }
    Py_ssize_t nt = PyList_GET_SIZE(PyList_GET_ITEM(fields, 0));
    Py_buffer *in = calloc((size_t)(nf * nt), sizeof(Py_buffer));
    Py_buffer *out = calloc((size_t)nf, sizeof(Py_buffer));
    Py_buffer tb = {0}, cb = {0};
    int64_t *pos_of = NULL, *cursor = NULL;
    Py_ssize_t got_in = 0, got_out = 0;
    int ok = 0;
    if (!in || !out) { PyErr_NoMemory(); goto cleanup; }
    for (Py_ssize_t f = 0; f < nf; f++) {
        PyObject *lst = PyList_GET_ITEM(fields, f);
        if (!PyList_Check(lst) || PyList_GET_SIZE(lst) != nt) {
            PyErr_SetString(PyExc_ValueError, "every field needs one buffer per tree");
            goto cleanup;
        }
        for (Py_ssize_t t = 0; t < nt; t++) {
            if (PyObject_GetBuffer(PyList_GET_ITEM(lst, t), &in[f * nt + t], PyBUF_C_CONTIGUOUS) < 0) goto cleanup;
            got_in++;
        }
    }
    for (Py_ssize_t f = 0; f < nf; f++) {
        if (PyObject_GetBuffer(PyList_GET_ITEM(outputs, f), &out[f], PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) < 0)
            goto cleanup;
        got_out++;
    }
    if (PyObject_GetBuffer(tree_out_obj, &tb, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) < 0) goto cleanup;
    if (PyObject_GetBuffer(counts_obj, &cb, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) < 0) {
        PyBuffer_Release(&tb);
        tb.obj = NULL;
        goto cleanup;
    }
    size_t n = (size_t)tb.len / 8, levels = (size_t)cb.len / 8;
    for (Py_ssize_t f = 0; f < nf; f++) {
        if ((size_t)out[f].len != n * 8) { PyErr_SetString(PyExc_ValueError, "output length mismatch"); goto cleanup; }
    }
    pos_of = malloc((n ? n : 1) * sizeof(int64_t));
    cursor = malloc((levels ? levels : 1) * sizeof(int64_t));
    if (!pos_of || !cursor) { PyErr_NoMemory(); goto cleanup; }
    int64_t *counts = (int64_t *)cb.buf;
    for (Py_ssize_t t = 0; t < nt; t++) {
        const int64_t *height = (const int64_t *)in[HEIGHT_FIELD * nt + t].buf;
        size_t m = (size_t)in[HEIGHT_FIELD * nt + t].len / 8;
        for (size_t i = 0; i < m; i++) {
            int64_t h = height[i];
            if (h < 0 || (size_t)h >= levels) { PyErr_SetString(PyExc_ValueError, "bad height"); goto cleanup; }
            counts[h]++;
        }
    }
    int64_t acc = 0;
    for (size_t h = 0; h < levels; h++) { cursor[h] = acc; acc += counts[h]; }
    if ((size_t)acc != n) { PyErr_SetString(PyExc_ValueError, "level counts do not add up"); goto cleanup; }
    {
        int64_t *tree_dst = (int64_t *)tb.buf;
        size_t base = 0;
        for (Py_ssize_t t = 0; t < nt; t++) {
            size_t m = (size_t)in[t].len / 8; /* field 0 is parent */
            const int64_t *height = (const int64_t *)in[HEIGHT_FIELD * nt + t].buf;
            const int64_t *parent = (const int64_t *)in[t].buf;
            if (base + m > n) { PyErr_SetString(PyExc_ValueError, "trees exceed the output"); goto cleanup; }
            for (size_t i = 0; i < m; i++) {
                int64_t pos = cursor[height[i]]++;
                pos_of[base + i] = pos;
                int64_t p = parent[i];
                if (p >= (int64_t)i) { PyErr_SetString(PyExc_ValueError, "parent after child"); goto cleanup; }
                ((int64_t *)out[0].buf)[pos] = p < 0 ? -1 : pos_of[base + (size_t)p];
                for (Py_ssize_t f = 1; f < nf; f++)
                    ((int64_t *)out[f].buf)[pos] = ((const int64_t *)in[f * nt + t].buf)[i];
                tree_dst[pos] = t;
            }
            base += m;
        }
        if (base != n) { PyErr_SetString(PyExc_ValueError, "trees do not fill the output"); goto cleanup; }
    }
    ok = 1;
cleanup:
    for (Py_ssize_t i = 0; i < got_in; i++) PyBuffer_Release(&in[i]);
    for (Py_ssize_t i = 0; i < got_out; i++) PyBuffer_Release(&out[i]);
    if (tb.obj) PyBuffer_Release(&tb);
    if (cb.obj) PyBuffer_Release(&cb);
    free(in); free(out); free(pos_of); free(cursor);
    if (!ok) return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"assemble", assemble, METH_VARARGS, "Level-order the nodes of many pre-order trees into one batch."},
    {"parse_flatten", parse_flatten, METH_VARARGS, "Parse and flatten a source into pre-order buffers."},
    {"token_id", py_token_id, METH_VARARGS, "Token id of a leaf text (same as recursa.trees.flatten.token_id)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_fastflatten", NULL, -1, methods};

PyMODINIT_FUNC PyInit__fastflatten(void) {
    crc_init();
    return PyModule_Create(&module);
}
