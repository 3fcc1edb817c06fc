/* Placeholder: replaced by its owner. */
#include "dp.h"
extern int dp_placeholder_dp_reconcile;
