/* Tags: key/value pairs on any resource, with AWS's limits. */
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "core_int.h"

int
core_tags_check(const struct core_tag *tags, size_t n, size_t existing,
    struct core_error *err)
{
	for (size_t i = 0; i < n; i++) {
		const char *k = tags[i].key, *v = tags[i].value ? tags[i].value : "";

		if (k == NULL || *k == '\0')
			return core_fail(err, "InvalidParameterValue",
			    "Tag keys must not be empty");
		if (strlen(k) > 127)
			return core_fail(err, "InvalidParameterValue",
			    "Tag key exceeds the maximum length of 127 characters");
		if (strlen(v) > 255)
			return core_fail(err, "InvalidParameterValue",
			    "Tag value exceeds the maximum length of 255 characters");
		if (str_has_prefix(k, "aws:"))
			return core_fail(err, "InvalidParameterValue",
			    "Tag keys starting with 'aws:' are reserved for internal use");
		for (size_t j = 0; j < i; j++)
			if (strcmp(tags[j].key, k) == 0)
				return core_fail(err, "InvalidParameterValue",
				    "Duplicate tag key '%s' specified", k);
	}
	if (existing + n > CORE_TAGS_MAX)
		return core_fail(err, "TagLimitExceeded",
		    "The maximum number of Tags for a resource has been reached (%d)",
		    CORE_TAGS_MAX);
	return 0;
}

const char *
core_tags_get(const struct core_tag *tags, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(tags[i].key, key) == 0)
			return tags[i].value;
	return NULL;
}

void
core_tags_set(struct core_tag **tags, size_t *n, const char *key, const char *value)
{
	struct core_tag *t;

	for (size_t i = 0; i < *n; i++)
		if (strcmp((*tags)[i].key, key) == 0) {
			free((*tags)[i].value);
			(*tags)[i].value = xstrdup(value ? value : "");
			return;
		}
	t = CORE_PUSH(*tags, *n);
	t->key = xstrdup(key);
	t->value = xstrdup(value ? value : "");
}

void
core_tags_del(struct core_tag **tags, size_t *n, const char *key, const char *value)
{
	for (size_t i = 0; i < *n; i++) {
		struct core_tag *t = &(*tags)[i];

		if (strcmp(t->key, key) != 0)
			continue;
		if (value && strcmp(t->value, value) != 0)
			return;
		free(t->key);
		free(t->value);
		CORE_ERASE(*tags, *n, i);
		return;
	}
}

void
core_tags_free(struct core_tag *tags, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(tags[i].key);
		free(tags[i].value);
	}
	free(tags);
}
