CREATE DATABASE IF NOT EXISTS `myems_production_db` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
USE `myems_production_db`;

-- myems_production_db: products, teams, shifts and hourly production counts, used to
-- relate energy to output (energy per unit produced).
-- Safe to re-run: tables are only created when missing, existing rows are never removed.
-- Portable to MySQL 8.0 and MariaDB 10.11. Timestamps are naive UTC, and an hourly row
-- covers [start_datetime_utc, start + slot).

-- Products. standard_product_coefficient converts a count into standard product units.
CREATE TABLE IF NOT EXISTS tbl_products (
    id                            BIGINT         NOT NULL AUTO_INCREMENT,
    name                          VARCHAR(128)   NOT NULL,
    uuid                          CHAR(36)       NOT NULL,
    unit_of_measure               VARCHAR(32)    NOT NULL,
    tag                           VARCHAR(128)   NOT NULL,
    standard_product_coefficient  DECIMAL(21,6)  NOT NULL DEFAULT 1,
    PRIMARY KEY (id),
    UNIQUE KEY uk_products_uuid (uuid),
    KEY ix_products_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Work teams.
CREATE TABLE IF NOT EXISTS tbl_teams (
    id           BIGINT        NOT NULL AUTO_INCREMENT,
    name         VARCHAR(128)  NOT NULL,
    uuid         CHAR(36)      NOT NULL,
    description  VARCHAR(255)  NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uk_teams_uuid (uuid),
    KEY ix_teams_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Production entered per shift: what a team made on a shopfloor between start and end.
-- reference_timestamp is the moment the entry refers to (used to group shifts by day).
CREATE TABLE IF NOT EXISTS tbl_shifts (
    id                   BIGINT    NOT NULL AUTO_INCREMENT,
    shopfloor_id         BIGINT    NOT NULL,
    team_id              BIGINT    NOT NULL,
    product_id           BIGINT    NOT NULL,
    product_count        INT       NOT NULL,
    start_datetime_utc   DATETIME  NOT NULL,
    end_datetime_utc     DATETIME  NOT NULL,
    reference_timestamp  DATETIME  NOT NULL,
    PRIMARY KEY (id),
    KEY ix_shifts_shopfloor_start (shopfloor_id, start_datetime_utc),
    KEY ix_shifts_shopfloor_product_start (shopfloor_id, product_id, start_datetime_utc),
    KEY ix_shifts_shopfloor_end (shopfloor_id, end_datetime_utc),
    KEY ix_shifts_shopfloor_reference (shopfloor_id, reference_timestamp),
    KEY ix_shifts_team (team_id),
    KEY ix_shifts_product (product_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Which products a shopfloor makes.
CREATE TABLE IF NOT EXISTS tbl_shopfloors_products (
    id            BIGINT  NOT NULL AUTO_INCREMENT,
    shopfloor_id  BIGINT  NOT NULL,
    product_id    BIGINT  NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uk_shopfloors_products (shopfloor_id, product_id),
    KEY ix_shopfloors_products_product (product_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Which teams work on a shopfloor.
CREATE TABLE IF NOT EXISTS tbl_shopfloors_teams (
    id            BIGINT  NOT NULL AUTO_INCREMENT,
    shopfloor_id  BIGINT  NOT NULL,
    team_id       BIGINT  NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uk_shopfloors_teams (shopfloor_id, team_id),
    KEY ix_shopfloors_teams_team (team_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Hourly product counts. One row per entity, product and slot, written by upsert.
CREATE TABLE IF NOT EXISTS tbl_space_hourly (
    id                  BIGINT         NOT NULL AUTO_INCREMENT,
    space_id            BIGINT         NOT NULL,
    start_datetime_utc  DATETIME       NOT NULL,
    product_id          BIGINT         NOT NULL,
    product_count       DECIMAL(21,6)  NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uk_space_hourly (space_id, product_id, start_datetime_utc),
    KEY ix_space_hourly_space_start (space_id, start_datetime_utc),
    KEY ix_space_hourly_start (start_datetime_utc)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS tbl_shopfloor_hourly (
    id                  BIGINT         NOT NULL AUTO_INCREMENT,
    shopfloor_id        BIGINT         NOT NULL,
    start_datetime_utc  DATETIME       NOT NULL,
    product_id          BIGINT         NOT NULL,
    product_count       DECIMAL(21,6)  NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uk_shopfloor_hourly (shopfloor_id, product_id, start_datetime_utc),
    KEY ix_shopfloor_hourly_shopfloor_start (shopfloor_id, start_datetime_utc),
    KEY ix_shopfloor_hourly_start (start_datetime_utc)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS tbl_equipment_hourly (
    id                  BIGINT         NOT NULL AUTO_INCREMENT,
    equipment_id        BIGINT         NOT NULL,
    start_datetime_utc  DATETIME       NOT NULL,
    product_id          BIGINT         NOT NULL,
    product_count       DECIMAL(21,6)  NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uk_equipment_hourly (equipment_id, product_id, start_datetime_utc),
    KEY ix_equipment_hourly_equipment_start (equipment_id, start_datetime_utc),
    KEY ix_equipment_hourly_start (start_datetime_utc)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
