CREATE DATABASE IF NOT EXISTS `myems_fdd_db` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
USE `myems_fdd_db`;

-- myems_fdd_db: fault detection and diagnostics rules and the outbound (and inbound)
-- message queues they feed: e-mail, SMS, WeChat and in-app web messages.
-- Safe to re-run: tables are only created when missing, existing rows are never removed.
-- No mail server is seeded (configure one through /emailservers).
-- Portable to MySQL 8.0 and MariaDB 10.11. Timestamps are naive UTC.

-- Diagnostic rules.
--   category   REALTIME, SYSTEM, SPACE, METER, TENANT, STORE, SHOPFLOOR, EQUIPMENT, COMBINEDEQUIPMENT
--   fdd_code   a code within the category, for example SPACE01
--   priority   CRITICAL, HIGH, MEDIUM, LOW
--   channel    WEB, EMAIL, SMS, WECHAT, CALL
--   expression JSON naming the diagnosed objects, points, thresholds and recipients
--   message_template plain text with $-placeholders
CREATE TABLE IF NOT EXISTS tbl_rules (
    id                     BIGINT        NOT NULL AUTO_INCREMENT,
    name                   VARCHAR(128)  NOT NULL,
    uuid                   CHAR(36)      NOT NULL,
    category               VARCHAR(128)  NOT NULL,
    fdd_code               VARCHAR(128)  NOT NULL,
    priority               VARCHAR(128)  NOT NULL,
    channel                VARCHAR(128)  NOT NULL,
    expression             LONGTEXT      NULL,
    message_template       LONGTEXT      NOT NULL,
    is_enabled             BOOL          NOT NULL,
    last_run_datetime_utc  DATETIME      NULL,
    next_run_datetime_utc  DATETIME      NULL,
    is_run_immediately     BOOL          NOT NULL DEFAULT 0,
    PRIMARY KEY (id),
    UNIQUE KEY uk_rules_uuid (uuid),
    KEY ix_rules_name (name),
    KEY ix_rules_due (is_enabled, next_run_datetime_utc)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Alarm mails raised by a rule. status is new, sent or timeout.
CREATE TABLE IF NOT EXISTS tbl_email_messages (
    id                      BIGINT        NOT NULL AUTO_INCREMENT,
    rule_id                 BIGINT        NOT NULL,
    recipient_name          VARCHAR(128)  NOT NULL,
    recipient_email         VARCHAR(128)  NOT NULL,
    subject                 VARCHAR(128)  NOT NULL,
    message                 LONGTEXT      NOT NULL,
    attachment_file_name    VARCHAR(128)  NULL,
    attachment_file_object  LONGBLOB      NULL,
    created_datetime_utc    DATETIME      NOT NULL,
    scheduled_datetime_utc  DATETIME      NOT NULL,
    status                  VARCHAR(32)   NOT NULL,
    PRIMARY KEY (id),
    KEY ix_email_messages_status_due (status, scheduled_datetime_utc),
    KEY ix_email_messages_created (created_datetime_utc),
    KEY ix_email_messages_rule (rule_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- SMTP servers used to send the mails above.
CREATE TABLE IF NOT EXISTS tbl_email_servers (
    id                       BIGINT        NOT NULL AUTO_INCREMENT,
    host                     VARCHAR(255)  NOT NULL,
    port                     INT           NOT NULL,
    requires_authentication  BOOL          NOT NULL,
    user_name                VARCHAR(255)  NULL,
    password                 VARCHAR(255)  NULL,
    from_addr                VARCHAR(255)  NOT NULL,
    PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Outgoing SMS. status is new, sent, acknowledged or timeout.
CREATE TABLE IF NOT EXISTS tbl_text_messages_outbox (
    id                      BIGINT       NOT NULL AUTO_INCREMENT,
    rule_id                 BIGINT       NOT NULL,
    recipient_name          VARCHAR(32)  NOT NULL,
    recipient_mobile        VARCHAR(32)  NOT NULL,
    message                 LONGTEXT     NOT NULL,
    created_datetime_utc    DATETIME     NOT NULL,
    scheduled_datetime_utc  DATETIME     NOT NULL,
    acknowledge_code        VARCHAR(32)  NULL,
    status                  VARCHAR(32)  NOT NULL,
    PRIMARY KEY (id),
    KEY ix_text_messages_outbox_status_due (status, scheduled_datetime_utc),
    KEY ix_text_messages_outbox_created (created_datetime_utc),
    KEY ix_text_messages_outbox_rule (rule_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Incoming SMS replies. status is new or done.
CREATE TABLE IF NOT EXISTS tbl_text_messages_inbox (
    id                     BIGINT       NOT NULL AUTO_INCREMENT,
    sender_mobile          VARCHAR(32)  NOT NULL,
    message                LONGTEXT     NOT NULL,
    received_datetime_utc  DATETIME     NOT NULL,
    status                 VARCHAR(32)  NOT NULL,
    PRIMARY KEY (id),
    KEY ix_text_messages_inbox_status (status, received_datetime_utc),
    KEY ix_text_messages_inbox_received (received_datetime_utc)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- In-app alarm messages for one user. status is new, acknowledged or read.
-- start/end give the period the fault covers, update the last change of status or reply.
CREATE TABLE IF NOT EXISTS tbl_web_messages (
    id                    BIGINT        NOT NULL AUTO_INCREMENT,
    rule_id               BIGINT        NOT NULL,
    user_id               BIGINT        NOT NULL,
    subject               VARCHAR(128)  NOT NULL,
    category              VARCHAR(128)  NOT NULL,
    priority              VARCHAR(128)  NOT NULL,
    message               LONGTEXT      NOT NULL,
    created_datetime_utc  DATETIME      NOT NULL,
    start_datetime_utc    DATETIME      NULL,
    end_datetime_utc      DATETIME      NULL,
    update_datetime_utc   DATETIME      NULL,
    status                VARCHAR(32)   NOT NULL,
    reply                 LONGTEXT      NULL,
    PRIMARY KEY (id),
    KEY ix_web_messages_user_status (user_id, status, created_datetime_utc),
    KEY ix_web_messages_user_time (user_id, created_datetime_utc),
    KEY ix_web_messages_rule (rule_id),
    KEY ix_web_messages_created (created_datetime_utc)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- WeChat Official Account credentials and the cached access token.
CREATE TABLE IF NOT EXISTS tbl_wechat_configs (
    id                    BIGINT        NOT NULL AUTO_INCREMENT,
    api_server            VARCHAR(255)  NOT NULL,
    app_id                VARCHAR(255)  NOT NULL,
    app_secret            VARCHAR(255)  NULL,
    access_token          VARCHAR(512)  NULL,
    expires_datetime_utc  DATETIME      NOT NULL,
    PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Outgoing WeChat template messages. message_data is JSON. status as for SMS.
CREATE TABLE IF NOT EXISTS tbl_wechat_messages_outbox (
    id                      BIGINT       NOT NULL AUTO_INCREMENT,
    rule_id                 BIGINT       NOT NULL,
    recipient_name          VARCHAR(32)  NOT NULL,
    recipient_openid        VARCHAR(32)  NOT NULL,
    message_template_id     VARCHAR(64)  NOT NULL,
    message_data            LONGTEXT     NOT NULL,
    created_datetime_utc    DATETIME     NOT NULL,
    scheduled_datetime_utc  DATETIME     NOT NULL,
    acknowledge_code        VARCHAR(32)  NULL,
    status                  VARCHAR(32)  NOT NULL,
    PRIMARY KEY (id),
    KEY ix_wechat_messages_outbox_status_due (status, scheduled_datetime_utc),
    KEY ix_wechat_messages_outbox_created (created_datetime_utc),
    KEY ix_wechat_messages_outbox_rule (rule_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Incoming WeChat replies. status is new or done.
CREATE TABLE IF NOT EXISTS tbl_wechat_messages_inbox (
    id                     BIGINT       NOT NULL AUTO_INCREMENT,
    sender_openid          VARCHAR(32)  NOT NULL,
    message                LONGTEXT     NOT NULL,
    received_datetime_utc  DATETIME     NOT NULL,
    status                 VARCHAR(32)  NOT NULL,
    PRIMARY KEY (id),
    KEY ix_wechat_messages_inbox_status (status, received_datetime_utc),
    KEY ix_wechat_messages_inbox_received (received_datetime_utc)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
