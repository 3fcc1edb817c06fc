/* Internal helpers shared by the core's files. */
#ifndef VPCD_CORE_INT_H
#define VPCD_CORE_INT_H

#include <string.h>

#include "core.h"

/* Appends one zeroed element to a heap array, returning it. */
#define CORE_PUSH(arr, n) \
	(memset(&((arr) = xreallocarray((arr), (n) + 1, sizeof(*(arr))))[(n)], 0, \
	    sizeof(*(arr))), &(arr)[(n)++])
/* Removes element 'i', keeping order. */
#define CORE_ERASE(arr, n, i) \
	(memmove(&(arr)[i], &(arr)[(i) + 1], ((n) - (i) - 1) * sizeof(*(arr))), (n)--)

#endif

/* Cross-file internals of the VPC rules. */
struct core_rtb *core_rtb_new_main(struct core_model *m, struct core_vpc *vpc);
void core_rtb_local_routes_add(struct core_model *m, struct core_vpc *vpc,
    struct core_cidr cidr);
void core_rtb_local_routes_remove(struct core_model *m, struct core_vpc *vpc,
    struct core_cidr cidr);
void core_rtb_forget_subnet(struct core_model *m, const struct core_subnet *sn);
struct core_acl *core_acl_new(struct core_model *m, struct core_vpc *vpc,
    bool is_default);
void core_acl_attach_subnet(struct core_model *m, struct core_acl *acl,
    const struct core_subnet *sn);
void core_acl_forget_subnet(struct core_model *m, const struct core_subnet *sn);
struct core_sg *core_sg_new_default(struct core_model *m, struct core_vpc *vpc);
size_t core_count_in_vpc(const struct core_model *m, enum core_type type,
    const struct core_vpc *vpc);
/* Resources of later kinds (interfaces, gateways) that keep a VPC or a
 * subnet from being deleted. */
bool core_vpc_has_dependents(const struct core_model *m, const struct core_vpc *vpc);
bool core_subnet_has_dependents(const struct core_model *m,
    const struct core_subnet *sn);
/* Targets other than local and internet gateways (instances, interfaces,
 * NAT gateways, peering connections): validation and liveness. */
int core_route_target_check(struct core_model *m, const struct core_rtb *rtb,
    const struct core_route_spec *spec, struct core_error *err);
bool core_route_target_is_active(const struct core_model *m,
    const struct core_rtb *rtb, const struct core_route *r);
bool core_sg_has_dependents(const struct core_model *m, const struct core_sg *sg);
/* Whether an interface in the VPC has a public address (auto or Elastic). */
bool core_vpc_has_public_addresses(const struct core_model *m, const struct core_vpc *vpc);
/* Whether two VPCs are joined by an active peering connection. */
bool core_vpcs_peered(const struct core_model *m, const char *owner_a,
    const char *vpc_a, const char *owner_b, const char *vpc_b);
void core_sg_free_fields(struct core_sg *sg);
/* Removes an interface and its Elastic IP associations, whoever manages
 * it (the NAT gateway that owns one, at deletion). */
void core_eni_remove(struct core_model *m, struct core_eni *eni);
/* Flow logs: their fields; removing those of a resource that goes. */
void core_fl_free_fields(struct core_fl *fl);
void core_fl_forget(struct core_model *m, const char *resource_id);
/* Deletes the peering connections of a VPC that is being deleted. */
void core_pcx_forget_vpc(struct core_model *m, const struct core_vpc *vpc);
