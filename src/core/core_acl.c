/* Network ACLs: numbered stateless entries and subnet associations. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "core_int.h"

/* Keeps entries sorted as DescribeNetworkAcls lists them: by direction
 * (ingress first), then rule number. */
static int
entry_cmp(const void *a, const void *b)
{
	const struct core_acl_entry *x = a, *y = b;

	if (x->is_egress != y->is_egress)
		return x->is_egress - y->is_egress;
	return x->rule_no - y->rule_no;
}

static void
entry_insert(struct core_acl *acl, const struct core_acl_entry *e)
{
	*CORE_PUSH(acl->entries, acl->n_entries) = *e;
	qsort(acl->entries, acl->n_entries, sizeof(*acl->entries), entry_cmp);
}

struct core_acl *
core_acl_new(struct core_model *m, struct core_vpc *vpc, bool is_default)
{
	struct core_acl *acl = core_res_new_in(m, CORE_ACL, sizeof(*acl), vpc->res.owner,
	    vpc->res.id);

	acl->is_default = is_default;
	if (is_default) {
		struct core_acl_entry e = { .rule_no = 100, .is_allow = true, .proto = -1,
			.from_port = -1, .to_port = -1, .icmp_type = -1, .icmp_code = -1 };

		entry_insert(acl, &e);
		e.is_egress = true;
		entry_insert(acl, &e);
		STR_COPY(vpc->default_acl, acl->res.id);
	}
	return acl;
}

int
core_acl_create(struct core_model *m, struct core_vpc *vpc, struct core_acl **out,
    struct core_error *err)
{
	if (core_count_in_vpc(m, CORE_ACL, vpc) >= m->cfg->acls_per_vpc)
		return core_fail(err, "NetworkAclLimitExceeded",
		    "The maximum number of network ACLs has been reached.");
	if (core_commit_point(m, err))
		return -EINVAL;
	*out = core_acl_new(m, vpc, false);
	return 0;
}

int
core_acl_delete(struct core_model *m, struct core_acl *acl, struct core_error *err)
{
	if (acl->is_default)
		return core_fail(err, "InvalidParameterValue",
		    "cannot delete default network ACL %s", acl->res.id);
	if (acl->n_assocs)
		return core_fail(err, "DependencyViolation",
		    "The networkAcl '%s' has dependencies and cannot be deleted.",
		    acl->res.id);
	if (core_commit_point(m, err))
		return -EINVAL;
	core_remove(m, &acl->res);
	return 0;
}

int
core_acl_entry_check(const struct core_acl_entry *e, struct core_error *err)
{
	if (e->rule_no < 1 || e->rule_no > 32766)
		return core_fail(err, "InvalidParameterValue",
		    "Value (%d) for parameter ruleNumber is invalid. Rule numbers must be "
		    "between 1 and 32766.", e->rule_no);
	if (e->proto == 6 || e->proto == 17) {
		if (e->from_port < 0 || e->to_port < 0 || e->from_port > 65535 ||
		    e->to_port > 65535 || e->from_port > e->to_port)
			return core_fail(err, "InvalidParameterValue",
			    "TCP and UDP entries need a port range with From and To "
			    "between 0 and 65535, From not above To");
	} else if (e->proto == 1) {
		if (e->icmp_type < -1 || e->icmp_type > 255 || e->icmp_code < -1 ||
		    e->icmp_code > 255)
			return core_fail(err, "InvalidParameterValue",
			    "ICMP entries need an IcmpTypeCode with Type and Code between "
			    "-1 and 255");
	}
	return 0;
}

static struct core_acl_entry *
entry_find(struct core_acl *acl, bool is_egress, int rule_no)
{
	for (size_t i = 0; i < acl->n_entries; i++)
		if (acl->entries[i].is_egress == is_egress && acl->entries[i].rule_no == rule_no)
			return &acl->entries[i];
	return NULL;
}

int
core_acl_entry_add(struct core_model *m, struct core_acl *acl, const struct core_acl_entry *e,
    struct core_error *err)
{
	size_t n = 0;

	if (core_acl_entry_check(e, err))
		return -EINVAL;
	if (entry_find(acl, e->is_egress, e->rule_no))
		return core_fail(err, "NetworkAclEntryAlreadyExists",
		    "The network acl entry identified by %d already exists.", e->rule_no);
	for (size_t i = 0; i < acl->n_entries; i++)
		n += acl->entries[i].is_egress == e->is_egress;
	if (n >= m->cfg->entries_per_acl)
		return core_fail(err, "NetworkAclEntryLimitExceeded",
		    "The maximum number of network acl entries has been reached.");
	if (core_commit_point(m, err))
		return -EINVAL;
	entry_insert(acl, e);
	core_touch(m, &acl->res);
	return 0;
}

int
core_acl_entry_replace(struct core_model *m, struct core_acl *acl,
    const struct core_acl_entry *e, struct core_error *err)
{
	struct core_acl_entry *old;

	if (core_acl_entry_check(e, err))
		return -EINVAL;
	old = entry_find(acl, e->is_egress, e->rule_no);
	if (old == NULL)
		return core_fail(err, "InvalidNetworkAclEntry.NotFound",
		    "The specified network ACL entry does not exist: rule %d (%s) in %s",
		    e->rule_no, e->is_egress ? "egress" : "ingress", acl->res.id);
	if (core_commit_point(m, err))
		return -EINVAL;
	*old = *e;
	core_touch(m, &acl->res);
	return 0;
}

int
core_acl_entry_delete(struct core_model *m, struct core_acl *acl, bool is_egress,
    int rule_no, struct core_error *err)
{
	struct core_acl_entry *e = entry_find(acl, is_egress, rule_no);

	if (e == NULL)
		return core_fail(err, "InvalidNetworkAclEntry.NotFound",
		    "The specified network ACL entry does not exist: rule %d (%s) in %s",
		    rule_no, is_egress ? "egress" : "ingress", acl->res.id);
	if (core_commit_point(m, err))
		return -EINVAL;
	CORE_ERASE(acl->entries, acl->n_entries, (size_t)(e - acl->entries));
	core_touch(m, &acl->res);
	return 0;
}

void
core_acl_attach_subnet(struct core_model *m, struct core_acl *acl,
    const struct core_subnet *sn)
{
	struct core_acl_assoc *a = CORE_PUSH(acl->assocs, acl->n_assocs);

	core_new_id("aclassoc", a->id);
	STR_COPY(a->subnet_id, sn->res.id);
	core_touch(m, &acl->res);
}

static struct core_acl *
acl_by_subnet(const struct core_model *m, const struct core_subnet *sn, size_t *index)
{
	CORE_FOREACH(m, CORE_ACL, r) {
		struct core_acl *acl = (struct core_acl *)r;

		if (strcmp(r->owner, sn->res.owner) != 0)
			continue;
		for (size_t i = 0; i < acl->n_assocs; i++)
			if (strcmp(acl->assocs[i].subnet_id, sn->res.id) == 0) {
				*index = i;
				return acl;
			}
	}
	return NULL;
}

struct core_acl *
core_subnet_acl(const struct core_model *m, const struct core_subnet *sn)
{
	size_t i;

	return acl_by_subnet(m, sn, &i);
}

void
core_acl_forget_subnet(struct core_model *m, const struct core_subnet *sn)
{
	size_t i;
	struct core_acl *acl = acl_by_subnet(m, sn, &i);

	if (acl) {
		CORE_ERASE(acl->assocs, acl->n_assocs, i);
		core_touch(m, &acl->res);
	}
}

int
core_acl_replace_assoc(struct core_model *m, const char *owner, const char *assoc_id,
    struct core_acl *acl, const char **new_id, struct core_error *err)
{
	CORE_FOREACH(m, CORE_ACL, r) {
		struct core_acl *old = (struct core_acl *)r;

		if (strcmp(r->owner, owner) != 0)
			continue;
		for (size_t i = 0; i < old->n_assocs; i++) {
			struct core_acl_assoc moved;
			struct core_acl_assoc *a;

			if (strcmp(old->assocs[i].id, assoc_id) != 0)
				continue;
			if (strcmp(old->vpc_id, acl->vpc_id) != 0)
				return core_fail(err, "InvalidParameterValue",
				    "Network ACL %s and association %s belong to different "
				    "networks", acl->res.id, assoc_id);
			if (core_commit_point(m, err))
				return -EINVAL;
			moved = old->assocs[i];
			CORE_ERASE(old->assocs, old->n_assocs, i);
			core_touch(m, &old->res);
			a = CORE_PUSH(acl->assocs, acl->n_assocs);
			*a = moved;
			core_new_id("aclassoc", a->id);
			core_touch(m, &acl->res);
			*new_id = a->id;
			return 0;
		}
	}
	return core_fail(err, "InvalidAssociationID.NotFound",
	    "The association ID '%s' does not exist", assoc_id);
}
