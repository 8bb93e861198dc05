CREATE TABLE "sessions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	"ip" varchar(64),
	"user_agent" varchar(512)
);
--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "sessions_user_live_idx" ON "sessions" USING btree ("user_id","created_at") WHERE "revoked_at" IS NULL;--> statement-breakpoint
CREATE INDEX "sessions_expires_idx" ON "sessions" USING btree ("expires_at");--> statement-breakpoint
INSERT INTO "sessions" ("id", "user_id", "created_at", "last_used_at", "expires_at", "revoked_at", "ip", "user_agent")
SELECT DISTINCT ON ("family_id") "family_id", "user_id",
	min("issued_at") OVER (PARTITION BY "family_id"),
	max("issued_at") OVER (PARTITION BY "family_id"),
	max("expires_at") OVER (PARTITION BY "family_id"),
	CASE WHEN bool_and("revoked_at" IS NOT NULL) OVER (PARTITION BY "family_id") THEN max("revoked_at") OVER (PARTITION BY "family_id") END,
	"created_ip", "user_agent"
FROM "refresh_tokens"
ORDER BY "family_id", "issued_at" DESC
ON CONFLICT ("id") DO NOTHING;
