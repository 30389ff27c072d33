CREATE DATABASE IF NOT EXISTS `myems_reporting_db` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
USE `myems_reporting_db`;

-- myems_reporting_db: scheduled ("advanced") reports, the files they produce, their
-- templates, and the mail queue that delivers them.
-- Safe to re-run: tables are only created when missing, existing rows are never removed.
-- Portable to MySQL 8.0 and MariaDB 10.11. Timestamps are naive UTC.

-- Report definitions. expression is JSON describing what to generate and for whom.
-- A generator runs a report when next_run_datetime_utc has passed or is_run_immediately is set.
CREATE TABLE IF NOT EXISTS tbl_reports (
    id                     BIGINT        NOT NULL AUTO_INCREMENT,
    name                   VARCHAR(128)  NOT NULL,
    uuid                   CHAR(36)      NOT NULL,
    expression             LONGTEXT      NULL,
    is_enabled             BOOL          NOT NULL,
    last_run_datetime_utc  DATETIME      NULL,
    next_run_datetime_utc  DATETIME      NULL,
    is_run_immediately     BOOL          NOT NULL DEFAULT 0,
    PRIMARY KEY (id),
    UNIQUE KEY uk_reports_uuid (uuid),
    KEY ix_reports_name (name),
    KEY ix_reports_due (is_enabled, next_run_datetime_utc)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Finished report documents. file_type is xlsx, pdf or docx.
CREATE TABLE IF NOT EXISTS tbl_reports_files (
    id                   BIGINT        NOT NULL AUTO_INCREMENT,
    uuid                 CHAR(36)      NOT NULL,
    create_datetime_utc  DATETIME      NOT NULL,
    file_name            VARCHAR(255)  NOT NULL,
    file_type            VARCHAR(45)   NOT NULL,
    file_object          LONGBLOB      NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uk_reports_files_uuid (uuid),
    KEY ix_reports_files_name (file_name),
    KEY ix_reports_files_created (create_datetime_utc)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Templates a report is rendered from. file_type is xlsx, pdf or docx.
CREATE TABLE IF NOT EXISTS tbl_template_files (
    id           BIGINT        NOT NULL AUTO_INCREMENT,
    uuid         CHAR(36)      NOT NULL,
    report_id    BIGINT        NOT NULL,
    file_name    VARCHAR(255)  NOT NULL,
    file_type    VARCHAR(45)   NOT NULL,
    file_object  LONGBLOB      NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uk_template_files_uuid (uuid),
    KEY ix_template_files_report (report_id),
    KEY ix_template_files_name (file_name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Mails carrying finished reports. status is new, sent or timeout.
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
