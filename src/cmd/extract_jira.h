/* extract_jira.h — `da extract jira` (extract_jira.c), dispatched by cmd/extract.c. */
#ifndef DA_CMD_EXTRACT_JIRA_H
#define DA_CMD_EXTRACT_JIRA_H

/* Runs `da extract jira` with argv from "jira" on; returns the exit code. */
int extract_jira(int argc, char **argv);

#endif
