-- The audit log's readers page newest first with the id as tie-breaker (events of one statement
-- share created_at): each index serves its ORDER BY created_at DESC, id DESC without a sort.
DROP INDEX IF EXISTS "security_events_user_created_idx";--> statement-breakpoint
DROP INDEX IF EXISTS "security_events_type_created_idx";--> statement-breakpoint
DROP INDEX IF EXISTS "security_events_created_idx";--> statement-breakpoint
CREATE INDEX "security_events_user_created_idx" ON "security_events" USING btree ("user_id","created_at" DESC,"id" DESC);--> statement-breakpoint
CREATE INDEX "security_events_type_created_idx" ON "security_events" USING btree ("type","created_at" DESC,"id" DESC);--> statement-breakpoint
CREATE INDEX "security_events_created_idx" ON "security_events" USING btree ("created_at" DESC,"id" DESC);--> statement-breakpoint
-- The retention job finds expired and long-revoked refresh tokens by these, in bounded batches.
CREATE INDEX "refresh_tokens_expires_at_idx" ON "refresh_tokens" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "refresh_tokens_revoked_at_idx" ON "refresh_tokens" USING btree ("revoked_at") WHERE "revoked_at" IS NOT NULL;
