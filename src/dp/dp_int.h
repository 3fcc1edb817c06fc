/* Internals of the data plane shared between its files. */
#ifndef VPCD_DP_INT_H
#define VPCD_DP_INT_H

#include "dp.h"

/* Instance processes (dp_boot.c). */
void dp_console_path(const struct dp_config *cfg, const char *instance_id, char *out,
    size_t size);
/* Runs the boot's user data unless this boot already ran it. */
int dp_boot_run(const struct dp_config *cfg, const struct dp_boot *b);
/* Ends every process in namespace 'ns'; returns how many there were. */
size_t dp_ns_kill_all(const char *ns);
/* Removes an instance's state once it is terminated. */
int dp_instance_forget(const struct dp_config *cfg, const char *instance_id);

#endif
