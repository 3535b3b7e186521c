/* jira_adf.h — Atlassian Document Format (the JSON tree of Jira Cloud's rich text: descriptions,
 * comments, some custom fields) as plain text an analyst can read and search. Blocks
 * (paragraphs, headings, code blocks, quotes, panels, rules) end in a newline; list items
 * start with "- " or "1. " indented two spaces per level; a mention is "@Name"; an emoji its
 * shortName; a link card its URL; a hard break a newline. A node of an unknown type gives the
 * text of its children, so a new node type loses formatting, never words. A JSON string is
 * taken as the text itself (API v2 and some fields give plain strings). */
#ifndef DA_CONNECTORS_JIRA_ADF_H
#define DA_CONNECTORS_JIRA_ADF_H

#include <jansson.h>

#define JIRA_ADF_MAX_DEPTH                                                                         \
    64 /* nodes nested deeper are not read: a hostile tree cannot                                  \
          exhaust the stack */
#define JIRA_ADF_MAX_TEXT                                                                          \
    (4 * 1024 * 1024) /* bytes of text kept from one document; the                                 \
                         rest is cut (at a character boundary) */

/* The plain text of doc (an ADF node, a string, or NULL/anything else: ""), without trailing
 * white space. The caller frees the result. */
char *jira_adf_text(const json_t *doc);

#endif
