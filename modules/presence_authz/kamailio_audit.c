/* presence_authz glue: the audit log of TS 33.141 requirement 6. SIP workers queue (audit_log.h),
 * the audit writer process writes them as audit_pump.c decides (audit_tick), the secondary
 * timer expires old rows. */
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "core/dprint.h"

#include "audit_pump.h"
#include "kamailio_authz.h"

/* TS 33.141 requirement 6: one audit row per document a watcher receives (sql/003, sql/007).
 * The SIP worker only queues what it sent (shared memory, audit_log.h); the audit writer
 * process summarizes and hashes the bodies and appends them with COPY, a batch per round, so
 * that neither the worker nor PostgreSQL pays a statement per NOTIFY. While PostgreSQL is
 * unreachable the rows wait, up to audit_max_pending; beyond that they are counted as lost. */
void pa_audit_record(subs_t *subs, const struct pol_decision *d, const char *doc, int len)
{
	char presentity[300], watcher[300], call_id[256], from_tag[128], to_tag[128];
	struct timeval now;

	if (!pa.audit_q)
		return;
	gettimeofday(&now, NULL);
	snprintf(presentity, sizeof(presentity), "%.*s", subs->pres_uri.len, subs->pres_uri.s);
	pa_watcher_uri(subs, watcher, sizeof(watcher));
	snprintf(call_id, sizeof(call_id), "%.*s", subs->callid.len, subs->callid.s);
	snprintf(from_tag, sizeof(from_tag), "%.*s", subs->from_tag.len, subs->from_tag.s);
	snprintf(to_tag, sizeof(to_tag), "%.*s", subs->to_tag.len, subs->to_tag.s);
	struct audit_entry e = {
	        .sent_at_us = (long long)now.tv_sec * 1000000 + now.tv_usec,
	        .anonymous = pa_is_anonymous(subs),
	        .sub_handling = sub_handling_name(d->sub_handling),
	        .presentity = presentity,
	        .watcher = watcher,
	        .rules = d->rules,
	        .n_rules = d->n_rules,
	        .call_id = call_id,
	        .from_tag = from_tag,
	        .to_tag = to_tag,
	        .document = doc,
	        .document_len = (size_t)len,
	};
	if (aq_push(pa.audit_q, &e) != 0) {
		update_stat(pa_st.audit_failed, 1);
		LM_ERR("audit: row of what %s received of %s lost: %u rows wait for PostgreSQL (audit_max_pending) or no shared memory\n",
		       watcher, presentity, aq_pending(pa.audit_q));
	}
}

#define AUDIT_BATCH_ROWS 1000

static int write_rows(void *arg, const struct audit_batch *b, long long now_ms, const char **why)
{
	(void)arg;
	return aw_write(pa.audit_w, b, now_ms, why);
}

/* audit_pump.c decides, this counts and logs */
static void on_audit(void *arg, enum audit_event ev, const struct audit_entry *e, unsigned n,
                     const char *why)
{
	(void)arg;
	switch (ev) {
	case AE_WRITTEN:
		update_stat(pa_st.audited, n);
		break;
	case AE_NO_MEMORY:
		update_stat(pa_st.audit_failed, 1);
		LM_ERR("audit: no memory for the row of what %s received of %s\n", e->watcher,
		       e->presentity);
		break;
	case AE_BATCH_REFUSED:
		LM_ERR("audit: %u rows refused (%s); writing them one by one\n", n, why);
		break;
	case AE_ROW_LOST:
		update_stat(pa_st.audit_failed, 1);
		LM_ERR("audit: row of what %s received of %s lost: %s\n", e->watcher, e->presentity,
		       why);
		break;
	case AE_REST_LOST:
		update_stat(pa_st.audit_failed, n);
		LM_ERR("audit: %u more rows of the refused batch lost: %s\n", n, why);
		break;
	case AE_DOWN:
		update_stat(pa_st.audit_down, 1);
		LM_ERR("audit: PostgreSQL unreachable, rows wait (%u queued): %s\n",
		       aq_pending(pa.audit_q), why);
		break;
	case AE_UP:
		LM_INFO("audit: PostgreSQL reachable again, writing the waiting rows\n");
		break;
	}
}

/* the audit writer process: every audit_flush_ms, everything queued, a batch at a time */
void pa_audit_tick(unsigned int ticks, void *param)
{
	static struct audit_pump pump;
	static int ready;
	(void)ticks;
	(void)param;
	if (!ready) {
		struct audit_pump_ops ops = {write_rows, on_audit, NULL, NULL};
		audit_pump_init(&pump, pa.audit_q, AUDIT_BATCH_ROWS, pa.audit_document, &ops);
		ready = 1;
	}
	audit_pump_run(&pump, pa_monotonic_ms());
}

/* Hourly, on the secondary timer: rows older than audit_retention_days go
 * (sql/005_audit_retention.sql; the PS cannot delete rows any other way). */
void pa_audit_expire(unsigned int ticks, void *param)
{
	char sql[96];
	db1_res_t *res = NULL;
	(void)ticks;
	(void)param;
	int n = snprintf(sql, sizeof(sql), "SELECT presec_audit_expire(%d)",
	                 pa.audit_retention_days);
	str q = {sql, n};
	if (!pa.dbh || pa.dbf.raw_query(pa.dbh, &q, &res) < 0 || !res) {
		LM_ERR("audit: cannot expire rows older than %d days\n", pa.audit_retention_days);
		return;
	}
	if (RES_ROW_N(res) > 0 && VAL_TYPE(ROW_VALUES(RES_ROWS(res))) == DB1_BIGINT)
		LM_INFO("audit: %lld rows older than %d days removed\n",
		        (long long)VAL_BIGINT(ROW_VALUES(RES_ROWS(res))), pa.audit_retention_days);
	pa.dbf.free_result(pa.dbh, res);
}
