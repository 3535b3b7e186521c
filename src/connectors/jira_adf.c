/* jira_adf.c — ADF to plain text (see jira_adf.h): one recursive walk that carries the list
 * nesting, writing into a capped buffer. */
#include "connectors/jira_adf.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"

struct walk {
    struct buf out;
    int list_depth; /* lists we are inside */
    bool full;      /* the text reached JIRA_ADF_MAX_TEXT */
};

/* Appends s; past JIRA_ADF_MAX_TEXT the text is cut at a character boundary and the rest of
 * the document is ignored. */
static void put(struct walk *w, const char *s)
{
    if (!s || w->full)
        return;
    size_t len = strlen(s), room = JIRA_ADF_MAX_TEXT - w->out.len;
    if (len > room) {
        len = room;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--; /* not inside a UTF-8 sequence */
        w->full = true;
    }
    if (buf_append(&w->out, s, len) != RC_OK)
        w->full = true; /* cannot happen below the cap; the buffer is empty then */
}

/* Ends the current line unless the text already ends one (or there is none yet). */
static void end_line(struct walk *w)
{
    if (w->out.len > 0 && w->out.data[w->out.len - 1] != '\n')
        put(w, "\n");
}

static const char *str_attr(const json_t *node, const char *name)
{
    json_t *attrs = json_object_get(node, "attrs");
    json_t *v = json_is_object(attrs) ? json_object_get(attrs, name) : NULL;
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool is_type(const char *type, const char *name)
{
    return strcmp(type, name) == 0;
}

static void walk_node(struct walk *w, const json_t *node, int depth);

static void walk_children(struct walk *w, const json_t *node, int depth)
{
    json_t *content = json_object_get(node, "content");
    size_t i;
    json_t *child;
    if (!json_is_array(content))
        return;
    json_array_foreach(content, i, child) walk_node(w, child, depth + 1);
}

/* One list: each item starts on its own line with its marker, indented by the nesting. */
static void walk_list(struct walk *w, const json_t *node, int depth, bool ordered)
{
    json_t *content = json_object_get(node, "content");
    size_t i;
    json_t *item;
    long start = 1;
    json_t *attrs = json_object_get(node, "attrs");
    json_t *order = json_is_object(attrs) ? json_object_get(attrs, "order") : NULL;
    if (json_is_integer(order) && json_integer_value(order) > 0 &&
        json_integer_value(order) < 1000000)
        start = (long)json_integer_value(order);
    if (!json_is_array(content))
        return;
    w->list_depth++;
    json_array_foreach(content, i, item)
    {
        end_line(w);
        for (int k = 1; k < w->list_depth; k++)
            put(w, "  ");
        if (ordered) {
            char num[32];
            snprintf(num, sizeof(num), "%ld. ", start + (long)i);
            put(w, num);
        } else {
            put(w, "- ");
        }
        /* an item's paragraphs stay on the marker's line; a nested list starts a new one */
        walk_children(w, item, depth + 1);
        end_line(w);
    }
    w->list_depth--;
}

static void walk_node(struct walk *w, const json_t *node, int depth)
{
    if (depth > JIRA_ADF_MAX_DEPTH || !json_is_object(node))
        return;
    json_t *jtype = json_object_get(node, "type");
    const char *type = json_is_string(jtype) ? json_string_value(jtype) : "";
    if (is_type(type, "text")) {
        json_t *t = json_object_get(node, "text");
        put(w, json_is_string(t) ? json_string_value(t) : NULL);
    } else if (is_type(type, "hardBreak")) {
        put(w, "\n");
    } else if (is_type(type, "mention")) {
        const char *t = str_attr(node, "text");
        if (t && t[0] != '@')
            put(w, "@");
        put(w, t ? t : "@unknown");
    } else if (is_type(type, "emoji")) {
        const char *t = str_attr(node, "text");
        put(w, t ? t : str_attr(node, "shortName"));
    } else if (is_type(type, "inlineCard") || is_type(type, "blockCard") ||
               is_type(type, "embedCard")) {
        put(w, str_attr(node, "url"));
        if (!is_type(type, "inlineCard"))
            end_line(w);
    } else if (is_type(type, "status")) {
        put(w, str_attr(node, "text"));
    } else if (is_type(type, "date")) {
        put(w, str_attr(node, "timestamp"));
    } else if (is_type(type, "rule")) {
        end_line(w);
        put(w, "---\n");
    } else if (is_type(type, "bulletList")) {
        walk_list(w, node, depth, false);
    } else if (is_type(type, "orderedList")) {
        walk_list(w, node, depth, true);
    } else if (is_type(type, "paragraph") || is_type(type, "heading") ||
               is_type(type, "codeBlock") || is_type(type, "blockquote") ||
               is_type(type, "panel") || is_type(type, "tableRow") ||
               is_type(type, "mediaSingle") || is_type(type, "expand")) {
        if (w->list_depth == 0)
            end_line(w);
        walk_children(w, node, depth);
        if (w->list_depth == 0)
            end_line(w);
    } else if (is_type(type, "tableCell") || is_type(type, "tableHeader")) {
        walk_children(w, node, depth);
        put(w, "\t");
    } else {
        /* doc, listItem, and every node type we do not know: the text of the children */
        json_t *t = json_object_get(node, "text");
        if (json_is_string(t))
            put(w, json_string_value(t));
        walk_children(w, node, depth);
    }
}

char *jira_adf_text(const json_t *doc)
{
    if (json_is_string(doc))
        return xstrdup(json_string_value(doc));
    struct walk w = { .list_depth = 0 };
    buf_init(&w.out, JIRA_ADF_MAX_TEXT);
    walk_node(&w, doc, 0);
    size_t len = w.out.len;
    while (len > 0 && (w.out.data[len - 1] == '\n' || w.out.data[len - 1] == ' ' ||
                       w.out.data[len - 1] == '\t'))
        len--;
    buf_truncate(&w.out, len);
    return buf_take(&w.out, NULL);
}
