CREATE DATABASE IF NOT EXISTS `myems_user_db` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
USE `myems_user_db`;

-- myems_user_db: accounts, sessions, API keys, privileges, the audit log and the
-- account-related mail and notification queues.
-- Safe to re-run: tables are only created when missing, existing rows are never removed.
-- No users are seeded here (the demo loader creates them).
-- Portable to MySQL 8.0 and MariaDB 10.11. Timestamps are naive UTC.

-- People who can sign in. password holds a self-describing KDF string (for example an
-- argon2id or scrypt encoding), salt is kept for accounts migrated from MyEMS hashes.
-- failed_login_count and last_failed_login_datetime_utc drive a lockout that lifts with time.
CREATE TABLE IF NOT EXISTS tbl_users (
    id                                BIGINT        NOT NULL AUTO_INCREMENT,
    name                              VARCHAR(128)  NOT NULL,
    uuid                              CHAR(36)      NOT NULL,
    display_name                      VARCHAR(128)  NOT NULL,
    email                             VARCHAR(128)  NOT NULL,
    phone                             VARCHAR(20)   NULL,
    salt                              VARCHAR(128)  NOT NULL DEFAULT '',
    password                          VARCHAR(256)  NOT NULL,
    is_admin                          BOOL          NOT NULL DEFAULT 0,
    is_read_only                      BOOL          NOT NULL DEFAULT 0,
    privilege_id                      BIGINT        NULL,
    account_expiration_datetime_utc   DATETIME      NOT NULL,
    password_expiration_datetime_utc  DATETIME      NOT NULL,
    failed_login_count                INT           NOT NULL DEFAULT 0,
    last_failed_login_datetime_utc    DATETIME      NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uk_users_uuid (uuid),
    UNIQUE KEY uk_users_name (name),
    UNIQUE KEY uk_users_email (email),
    UNIQUE KEY uk_users_phone (phone),
    KEY ix_users_privilege (privilege_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Named privilege sets. data is a JSON document (for example the root space ids a user may see).
CREATE TABLE IF NOT EXISTS tbl_privileges (
    id    BIGINT       NOT NULL AUTO_INCREMENT,
    name  VARCHAR(45)  NOT NULL,
    data  LONGTEXT     NOT NULL,
    PRIMARY KEY (id),
    KEY ix_privileges_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Login sessions. token stores a hash of the token handed to the client, never the token itself.
CREATE TABLE IF NOT EXISTS tbl_sessions (
    id           BIGINT        NOT NULL AUTO_INCREMENT,
    user_uuid    CHAR(36)      NOT NULL,
    token        VARCHAR(128)  NOT NULL,
    utc_expires  DATETIME      NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uk_sessions_token (token),
    KEY ix_sessions_user (user_uuid),
    KEY ix_sessions_expires (utc_expires)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Long-lived keys for machine clients (the API-KEY header).
CREATE TABLE IF NOT EXISTS tbl_api_keys (
    id                    BIGINT        NOT NULL AUTO_INCREMENT,
    name                  VARCHAR(128)  NOT NULL,
    token                 VARCHAR(255)  NOT NULL,
    created_datetime_utc  DATETIME      NOT NULL,
    expires_datetime_utc  DATETIME      NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uk_api_keys_token (token),
    KEY ix_api_keys_name (name),
    KEY ix_api_keys_created (created_datetime_utc)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Audit trail of every write request (method, resource class and id, JSON body).
CREATE TABLE IF NOT EXISTS tbl_logs (
    id                    BIGINT        NOT NULL AUTO_INCREMENT,
    user_uuid             CHAR(36)      NOT NULL,
    request_datetime_utc  DATETIME      NOT NULL,
    request_method        VARCHAR(256)  NOT NULL,
    resource_type         VARCHAR(256)  NOT NULL,
    resource_id           BIGINT        NULL,
    request_body          LONGTEXT      NULL,
    PRIMARY KEY (id),
    KEY ix_logs_request_time (request_datetime_utc),
    KEY ix_logs_user_time (user_uuid, request_datetime_utc)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- In-app notifications for one user. status is unread, read or archived.
CREATE TABLE IF NOT EXISTS tbl_notifications (
    id                    BIGINT        NOT NULL AUTO_INCREMENT,
    user_id               BIGINT        NOT NULL,
    created_datetime_utc  DATETIME      NOT NULL,
    status                VARCHAR(32)   NOT NULL,
    subject               VARCHAR(128)  NOT NULL,
    message               LONGTEXT      NOT NULL,
    url                   VARCHAR(128)  NULL,
    PRIMARY KEY (id),
    KEY ix_notifications_user_status (user_id, status, created_datetime_utc),
    KEY ix_notifications_user_time (user_id, created_datetime_utc)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Outgoing account mails (verification codes, password resets). status is new, sent or timeout.
CREATE TABLE IF NOT EXISTS tbl_email_messages (
    id                      BIGINT        NOT NULL AUTO_INCREMENT,
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
    KEY ix_email_messages_created (created_datetime_utc)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Short-lived tokens that let an unauthenticated visitor ask for a mail (forgot password, sign-up).
CREATE TABLE IF NOT EXISTS tbl_email_message_sessions (
    id                    BIGINT        NOT NULL AUTO_INCREMENT,
    recipient_email       VARCHAR(128)  NOT NULL,
    token                 VARCHAR(128)  NOT NULL,
    expires_datetime_utc  DATETIME      NOT NULL,
    PRIMARY KEY (id),
    KEY ix_email_message_sessions_email (recipient_email),
    KEY ix_email_message_sessions_token (token)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Codes mailed or texted to prove ownership of an address or phone number. verification_code holds a
-- hash of the code, never the code; failed_attempts counts wrong guesses so a code cannot be brute-forced.
CREATE TABLE IF NOT EXISTS tbl_verification_codes (
    id                    BIGINT        NOT NULL AUTO_INCREMENT,
    recipient_email       VARCHAR(128)  NOT NULL,
    phone                 VARCHAR(20)   NULL,
    verification_code     VARCHAR(128)  NOT NULL,
    created_datetime_utc  DATETIME      NOT NULL,
    expires_datetime_utc  DATETIME      NOT NULL,
    failed_attempts       INT           NOT NULL DEFAULT 0,
    PRIMARY KEY (id),
    KEY ix_verification_codes_email_time (recipient_email, created_datetime_utc),
    KEY ix_verification_codes_phone (phone)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Self-registration requests waiting for an administrator to approve them into tbl_users.
CREATE TABLE IF NOT EXISTS tbl_new_users (
    id            BIGINT        NOT NULL AUTO_INCREMENT,
    name          VARCHAR(128)  NOT NULL,
    uuid          CHAR(36)      NOT NULL,
    display_name  VARCHAR(128)  NOT NULL,
    email         VARCHAR(128)  NOT NULL,
    phone         VARCHAR(20)   NULL,
    salt          VARCHAR(128)  NOT NULL DEFAULT '',
    password      VARCHAR(256)  NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uk_new_users_uuid (uuid),
    UNIQUE KEY uk_new_users_name (name),
    UNIQUE KEY uk_new_users_email (email),
    UNIQUE KEY uk_new_users_phone (phone)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
