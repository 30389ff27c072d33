CREATE DATABASE IF NOT EXISTS `myems_historical_db` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
USE `myems_historical_db`;

-- myems_historical_db: raw point readings, the latest reading per point, uploaded files
-- waiting to be processed, and bookkeeping for the pipeline itself.
-- Safe to re-run: tables are only created when missing, existing rows are never removed.
-- Portable to MySQL 8.0 and MariaDB 10.11. Timestamps are naive UTC.
-- Reading tables are clustered on (point_id, utc_date_time): the range of one point is a
-- contiguous scan, and a second write of the same reading is an upsert, not a duplicate.
-- id stays as a unique surrogate for clients that address rows by id.
-- is_bad is NULL until cleaning decides (0 good, 1 bad); bad_reason says why (range, dip, spike).

-- Cumulative energy counter readings (for example total kWh), not deltas.
CREATE TABLE IF NOT EXISTS tbl_energy_value (
    id             BIGINT         NOT NULL AUTO_INCREMENT,
    point_id       BIGINT         NOT NULL,
    utc_date_time  DATETIME       NOT NULL,
    actual_value   DECIMAL(21,6)  NOT NULL,
    is_bad         BOOL           NULL,
    is_published   BOOL           NULL,
    bad_reason     VARCHAR(16)    NULL,
    PRIMARY KEY (point_id, utc_date_time),
    UNIQUE KEY uk_energy_value_id (id),
    KEY ix_energy_value_time (utc_date_time)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Instantaneous measurements (power, temperature, pressure and so on).
CREATE TABLE IF NOT EXISTS tbl_analog_value (
    id             BIGINT         NOT NULL AUTO_INCREMENT,
    point_id       BIGINT         NOT NULL,
    utc_date_time  DATETIME       NOT NULL,
    actual_value   DECIMAL(21,6)  NOT NULL,
    is_bad         BOOL           NULL,
    is_published   BOOL           NULL,
    PRIMARY KEY (point_id, utc_date_time),
    UNIQUE KEY uk_analog_value_id (id),
    KEY ix_analog_value_time (utc_date_time)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Discrete states (on/off, alarm codes).
CREATE TABLE IF NOT EXISTS tbl_digital_value (
    id             BIGINT    NOT NULL AUTO_INCREMENT,
    point_id       BIGINT    NOT NULL,
    utc_date_time  DATETIME  NOT NULL,
    actual_value   INT       NOT NULL,
    is_bad         BOOL      NULL,
    is_published   BOOL      NULL,
    PRIMARY KEY (point_id, utc_date_time),
    UNIQUE KEY uk_digital_value_id (id),
    KEY ix_digital_value_time (utc_date_time)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Free-text readings (status strings, serial numbers).
CREATE TABLE IF NOT EXISTS tbl_text_value (
    id             BIGINT    NOT NULL AUTO_INCREMENT,
    point_id       BIGINT    NOT NULL,
    utc_date_time  DATETIME  NOT NULL,
    actual_value   LONGTEXT  NOT NULL,
    is_bad         BOOL      NULL,
    is_published   BOOL      NULL,
    PRIMARY KEY (point_id, utc_date_time),
    UNIQUE KEY uk_text_value_id (id),
    KEY ix_text_value_time (utc_date_time)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Latest reading per point, one row per point, kept current by upsert on point_id.
CREATE TABLE IF NOT EXISTS tbl_energy_value_latest (
    id             BIGINT         NOT NULL AUTO_INCREMENT,
    point_id       BIGINT         NOT NULL,
    utc_date_time  DATETIME       NOT NULL,
    actual_value   DECIMAL(21,6)  NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uk_energy_value_latest_point (point_id),
    KEY ix_energy_value_latest_time (utc_date_time)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS tbl_analog_value_latest (
    id             BIGINT         NOT NULL AUTO_INCREMENT,
    point_id       BIGINT         NOT NULL,
    utc_date_time  DATETIME       NOT NULL,
    actual_value   DECIMAL(21,6)  NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uk_analog_value_latest_point (point_id),
    KEY ix_analog_value_latest_time (utc_date_time)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS tbl_digital_value_latest (
    id             BIGINT    NOT NULL AUTO_INCREMENT,
    point_id       BIGINT    NOT NULL,
    utc_date_time  DATETIME  NOT NULL,
    actual_value   INT       NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uk_digital_value_latest_point (point_id),
    KEY ix_digital_value_latest_time (utc_date_time)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS tbl_text_value_latest (
    id             BIGINT    NOT NULL AUTO_INCREMENT,
    point_id       BIGINT    NOT NULL,
    utc_date_time  DATETIME  NOT NULL,
    actual_value   LONGTEXT  NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uk_text_value_latest_point (point_id),
    KEY ix_text_value_latest_time (utc_date_time)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Upload queues. Each row is one uploaded spreadsheet, status new, done or error.
-- Offline meter readings, picked up by normalization.
CREATE TABLE IF NOT EXISTS tbl_offline_meter_files (
    id                   BIGINT        NOT NULL AUTO_INCREMENT,
    file_name            VARCHAR(255)  NOT NULL,
    uuid                 CHAR(36)      NOT NULL,
    upload_datetime_utc  DATETIME      NOT NULL,
    status               VARCHAR(45)   NOT NULL,
    file_object          LONGBLOB      NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uk_offline_meter_files_uuid (uuid),
    KEY ix_offline_meter_files_status (status, upload_datetime_utc),
    KEY ix_offline_meter_files_uploaded (upload_datetime_utc)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Replacement raw readings for a range, applied to tbl_energy_value.
CREATE TABLE IF NOT EXISTS tbl_data_repair_files (
    id                   BIGINT        NOT NULL AUTO_INCREMENT,
    file_name            VARCHAR(255)  NOT NULL,
    uuid                 CHAR(36)      NOT NULL,
    upload_datetime_utc  DATETIME      NOT NULL,
    status               VARCHAR(45)   NOT NULL,
    file_object          LONGBLOB      NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uk_data_repair_files_uuid (uuid),
    KEY ix_data_repair_files_status (status, upload_datetime_utc),
    KEY ix_data_repair_files_uploaded (upload_datetime_utc)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Cost figures entered by hand.
CREATE TABLE IF NOT EXISTS tbl_cost_files (
    id                   BIGINT        NOT NULL AUTO_INCREMENT,
    file_name            VARCHAR(255)  NOT NULL,
    uuid                 CHAR(36)      NOT NULL,
    upload_datetime_utc  DATETIME      NOT NULL,
    status               VARCHAR(45)   NOT NULL,
    file_object          LONGBLOB      NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uk_cost_files_uuid (uuid),
    KEY ix_cost_files_status (status, upload_datetime_utc),
    KEY ix_cost_files_uploaded (upload_datetime_utc)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Planned consumption, loaded into myems_energy_plan_db.
CREATE TABLE IF NOT EXISTS tbl_energy_plan_files (
    id                   BIGINT        NOT NULL AUTO_INCREMENT,
    file_name            VARCHAR(255)  NOT NULL,
    uuid                 CHAR(36)      NOT NULL,
    upload_datetime_utc  DATETIME      NOT NULL,
    status               VARCHAR(45)   NOT NULL,
    file_object          LONGBLOB      NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uk_energy_plan_files_uuid (uuid),
    KEY ix_energy_plan_files_status (status, upload_datetime_utc),
    KEY ix_energy_plan_files_uploaded (upload_datetime_utc)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Pipeline bookkeeping (not in MyEMS).
-- Per-object watermark of a pipeline stage: step has fully processed object_id up to processed_until_utc.
CREATE TABLE IF NOT EXISTS tbl_pipeline_progress (
    id                    BIGINT       NOT NULL AUTO_INCREMENT,
    step                  VARCHAR(64)  NOT NULL,
    object_id             BIGINT       NOT NULL,
    processed_until_utc   DATETIME     NOT NULL,
    updated_datetime_utc  DATETIME     NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uk_pipeline_progress_step_object (step, object_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Ranges a downstream stage must recompute for one object (late data, repairs, config edits).
CREATE TABLE IF NOT EXISTS tbl_pipeline_dirty_ranges (
    id                    BIGINT       NOT NULL AUTO_INCREMENT,
    step                  VARCHAR(64)  NOT NULL,
    object_id             BIGINT       NOT NULL,
    start_datetime_utc    DATETIME     NOT NULL,
    end_datetime_utc      DATETIME     NOT NULL,
    reason                VARCHAR(64)  NOT NULL,
    created_datetime_utc  DATETIME     NOT NULL,
    PRIMARY KEY (id),
    KEY ix_pipeline_dirty_ranges_step_object_start (step, object_id, start_datetime_utc)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
