-- myems_system_db: configuration and master data (install script)
-- Table and column names follow MyEMS 6.7 so that existing SQL against myems_system_db keeps working.
-- The DDL itself is written for this project:
--   * safe to run again on a live database: CREATE ... IF NOT EXISTS, INSERT IGNORE with fixed ids,
--     nothing is ever dropped, and every index is declared inside its CREATE TABLE
--   * runs unchanged on MySQL 8.0 (default sql_mode) and MariaDB 10.11
--   * InnoDB, utf8mb4 / utf8mb4_unicode_ci, JSON kept in LONGTEXT, no foreign keys
--   * every uuid column is UNIQUE, every relation table is UNIQUE on its pair of ids
--   * DATETIME columns hold naive UTC (*_datetime_utc), money and energy are DECIMAL(21,6)
--   * time zones are IANA names (tbl_timezones.name), utc_offset is the standard-time offset
-- Seeded: root space (id 1), gateway 1 (uuid and token made per install), 37 protocols, time zones
-- (UTC is id 1), schema version. Demo data (energy categories, menus, users, ...) lives elsewhere.

CREATE DATABASE IF NOT EXISTS `myems_system_db` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

USE `myems_system_db`;

-- ================================================================================================
-- Acquisition: gateways, data sources, protocols and points
-- ================================================================================================

CREATE TABLE IF NOT EXISTS `tbl_gateways` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `token` CHAR(36) NOT NULL,
  `last_seen_datetime_utc` DATETIME NULL,
  `description` LONGTEXT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_data_sources` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `gateway_id` BIGINT NOT NULL,
  `protocol` VARCHAR(64) NOT NULL,
  `connection` LONGTEXT NOT NULL,
  `process_id` BIGINT NULL,
  `last_seen_datetime_utc` DATETIME NULL,
  `description` LONGTEXT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`),
  KEY `ix_gateway_id` (`gateway_id`),
  KEY `ix_protocol` (`protocol`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_protocols` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `code` VARCHAR(64) NOT NULL,
  PRIMARY KEY (`id`),
  KEY `ix_name` (`name`),
  UNIQUE KEY `uq_code` (`code`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_points` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(512) NOT NULL,
  `uuid` CHAR(36) NOT NULL DEFAULT (UUID()),
  `data_source_id` BIGINT NOT NULL,
  `object_type` VARCHAR(32) NOT NULL,
  `units` VARCHAR(32) NOT NULL,
  `high_limit` DECIMAL(21,6) NOT NULL,
  `low_limit` DECIMAL(21,6) NOT NULL,
  `higher_limit` DECIMAL(21,6) NULL,
  `lower_limit` DECIMAL(21,6) NULL,
  `is_in_alarm` BOOL NOT NULL DEFAULT 0,
  `ratio` DECIMAL(21,6) NOT NULL DEFAULT 1,
  `offset_constant` DECIMAL(21,6) NOT NULL DEFAULT 0,
  `is_trend` BOOL NOT NULL,
  `is_virtual` BOOL NOT NULL DEFAULT 0,
  `address` LONGTEXT NOT NULL,
  `description` LONGTEXT NULL,
  `faults` LONGTEXT NULL,
  `definitions` LONGTEXT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`),
  KEY `ix_data_source_id_object_type` (`data_source_id`, `object_type`),
  KEY `ix_object_type` (`object_type`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_points_set_values` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `point_id` BIGINT NOT NULL,
  `utc_date_time` DATETIME NOT NULL,
  `set_value` DECIMAL(21,6) NOT NULL,
  `is_set` BOOL NULL,
  PRIMARY KEY (`id`),
  KEY `ix_point_id_utc_date_time` (`point_id`, `utc_date_time`),
  KEY `ix_utc_date_time` (`utc_date_time`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_sensors` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `description` LONGTEXT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_sensors_points` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `sensor_id` BIGINT NOT NULL,
  `point_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`sensor_id`, `point_id`),
  KEY `ix_point_id` (`point_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- ================================================================================================
-- Meters: physical, virtual (formula) and offline (manually read) meters
-- ================================================================================================

CREATE TABLE IF NOT EXISTS `tbl_meters` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `energy_category_id` BIGINT NOT NULL,
  `is_counted` BOOL NOT NULL,
  `hourly_low_limit` DECIMAL(21,6) NOT NULL,
  `hourly_high_limit` DECIMAL(21,6) NOT NULL,
  `cost_center_id` BIGINT NOT NULL,
  `energy_item_id` BIGINT NULL,
  `master_meter_id` BIGINT NULL,
  `description` LONGTEXT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`),
  KEY `ix_energy_category_id` (`energy_category_id`),
  KEY `ix_energy_item_id` (`energy_item_id`),
  KEY `ix_cost_center_id` (`cost_center_id`),
  KEY `ix_master_meter_id` (`master_meter_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_meters_points` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `meter_id` BIGINT NOT NULL,
  `point_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`meter_id`, `point_id`),
  KEY `ix_point_id` (`point_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_meters_commands` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `meter_id` BIGINT NOT NULL,
  `command_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`meter_id`, `command_id`),
  KEY `ix_command_id` (`command_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_virtual_meters` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `equation` LONGTEXT NOT NULL,
  `energy_category_id` BIGINT NOT NULL,
  `is_counted` BOOL NOT NULL,
  `cost_center_id` BIGINT NOT NULL,
  `energy_item_id` BIGINT NULL,
  `description` LONGTEXT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`),
  KEY `ix_energy_category_id` (`energy_category_id`),
  KEY `ix_energy_item_id` (`energy_item_id`),
  KEY `ix_cost_center_id` (`cost_center_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_variables` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `virtual_meter_id` BIGINT NOT NULL,
  `meter_type` VARCHAR(32) NOT NULL,
  `meter_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  KEY `ix_virtual_meter_id` (`virtual_meter_id`),
  KEY `ix_meter_id_meter_type` (`meter_id`, `meter_type`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_offline_meters` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `energy_category_id` BIGINT NOT NULL,
  `is_counted` BOOL NOT NULL,
  `hourly_low_limit` DECIMAL(21,6) NOT NULL,
  `hourly_high_limit` DECIMAL(21,6) NOT NULL,
  `cost_center_id` BIGINT NOT NULL,
  `energy_item_id` BIGINT NULL,
  `description` LONGTEXT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`),
  KEY `ix_energy_category_id` (`energy_category_id`),
  KEY `ix_energy_item_id` (`energy_item_id`),
  KEY `ix_cost_center_id` (`cost_center_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- ================================================================================================
-- Energy categories and items, cost centers and tariffs
-- ================================================================================================

CREATE TABLE IF NOT EXISTS `tbl_energy_categories` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `unit_of_measure` VARCHAR(32) NOT NULL,
  `kgce` DECIMAL(21,6) NOT NULL,
  `kgco2e` DECIMAL(21,6) NOT NULL,
  `ghg_scope` TINYINT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_energy_items` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `energy_category_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`),
  KEY `ix_energy_category_id` (`energy_category_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_cost_centers` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `external_id` VARCHAR(255) NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_tariffs` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `energy_category_id` BIGINT NOT NULL,
  `tariff_type` VARCHAR(64) NOT NULL,
  `unit_of_price` VARCHAR(64) NOT NULL,
  `valid_from_datetime_utc` DATETIME NOT NULL,
  `valid_through_datetime_utc` DATETIME NOT NULL,
  `currency` CHAR(3) NOT NULL DEFAULT 'CNY',
  `timezone` VARCHAR(64) NULL,
  `working_calendar_id` BIGINT NULL,
  `structure` LONGTEXT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`),
  KEY `ix_energy_category_id_validity` (`energy_category_id`, `valid_from_datetime_utc`, `valid_through_datetime_utc`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- kg CO2e per unit of an energy category over a validity range; where none is valid, the category's kgco2e.
CREATE TABLE IF NOT EXISTS `tbl_emission_factors` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `energy_category_id` BIGINT NOT NULL,
  `kgco2e` DECIMAL(18,6) NOT NULL,
  `valid_from_datetime_utc` DATETIME NOT NULL,
  `valid_through_datetime_utc` DATETIME NOT NULL,
  `description` LONGTEXT NULL,
  PRIMARY KEY (`id`),
  KEY `ix_energy_category_id_validity` (`energy_category_id`, `valid_from_datetime_utc`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_tariffs_timeofuses` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `tariff_id` BIGINT NOT NULL,
  `start_time_of_day` TIME NOT NULL,
  `end_time_of_day` TIME NOT NULL,
  `peak_type` VARCHAR(8) NOT NULL,
  `price` DECIMAL(21,6) NOT NULL,
  PRIMARY KEY (`id`),
  KEY `ix_tariff_id_start_time_of_day` (`tariff_id`, `start_time_of_day`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_cost_centers_tariffs` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `cost_center_id` BIGINT NOT NULL,
  `tariff_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`cost_center_id`, `tariff_id`),
  KEY `ix_tariff_id` (`tariff_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- ================================================================================================
-- Time zones, contacts, working calendars and SVG drawings
-- ================================================================================================

CREATE TABLE IF NOT EXISTS `tbl_timezones` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `description` VARCHAR(255) NOT NULL,
  `utc_offset` VARCHAR(8) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_name` (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_contacts` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `email` VARCHAR(255) NOT NULL,
  `phone` VARCHAR(255) NOT NULL,
  `description` LONGTEXT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_working_calendars` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `description` LONGTEXT NULL,
  PRIMARY KEY (`id`),
  KEY `ix_name` (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_working_calendars_non_working_days` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `working_calendar_id` BIGINT NOT NULL,
  `date_local` DATE NOT NULL,
  `description` LONGTEXT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_working_calendar_id_date_local` (`working_calendar_id`, `date_local`),
  KEY `ix_date_local` (`date_local`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_svgs` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `source_code` LONGTEXT NOT NULL,
  `description` LONGTEXT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- ================================================================================================
-- Spaces (the tree rooted at id 1) and what is attached to them
-- ================================================================================================

CREATE TABLE IF NOT EXISTS `tbl_spaces` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `parent_space_id` BIGINT NULL,
  `area` DECIMAL(21,6) NOT NULL,
  `number_of_occupants` DECIMAL(21,6) NOT NULL DEFAULT 1,
  `timezone_id` BIGINT NOT NULL,
  `is_input_counted` BOOL NOT NULL,
  `is_output_counted` BOOL NOT NULL,
  `contact_id` BIGINT NULL,
  `cost_center_id` BIGINT NULL,
  `latitude` DECIMAL(12,10) NULL,
  `longitude` DECIMAL(13,10) NULL,
  `description` LONGTEXT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`),
  KEY `ix_parent_space_id` (`parent_space_id`),
  KEY `ix_timezone_id` (`timezone_id`),
  KEY `ix_cost_center_id` (`cost_center_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_spaces_meters` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `space_id` BIGINT NOT NULL,
  `meter_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`space_id`, `meter_id`),
  KEY `ix_meter_id` (`meter_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_spaces_virtual_meters` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `space_id` BIGINT NOT NULL,
  `virtual_meter_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`space_id`, `virtual_meter_id`),
  KEY `ix_virtual_meter_id` (`virtual_meter_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_spaces_offline_meters` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `space_id` BIGINT NOT NULL,
  `offline_meter_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`space_id`, `offline_meter_id`),
  KEY `ix_offline_meter_id` (`offline_meter_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_spaces_equipments` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `space_id` BIGINT NOT NULL,
  `equipment_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`space_id`, `equipment_id`),
  KEY `ix_equipment_id` (`equipment_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_spaces_combined_equipments` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `space_id` BIGINT NOT NULL,
  `combined_equipment_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`space_id`, `combined_equipment_id`),
  KEY `ix_combined_equipment_id` (`combined_equipment_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_spaces_tenants` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `space_id` BIGINT NOT NULL,
  `tenant_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`space_id`, `tenant_id`),
  KEY `ix_tenant_id` (`tenant_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_spaces_stores` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `space_id` BIGINT NOT NULL,
  `store_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`space_id`, `store_id`),
  KEY `ix_store_id` (`store_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_spaces_shopfloors` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `space_id` BIGINT NOT NULL,
  `shopfloor_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`space_id`, `shopfloor_id`),
  KEY `ix_shopfloor_id` (`shopfloor_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_spaces_sensors` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `space_id` BIGINT NOT NULL,
  `sensor_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`space_id`, `sensor_id`),
  KEY `ix_sensor_id` (`sensor_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_spaces_points` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `space_id` BIGINT NOT NULL,
  `point_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`space_id`, `point_id`),
  KEY `ix_point_id` (`point_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_spaces_working_calendars` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `space_id` BIGINT NOT NULL,
  `working_calendar_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`space_id`, `working_calendar_id`),
  KEY `ix_working_calendar_id` (`working_calendar_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_spaces_commands` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `space_id` BIGINT NOT NULL,
  `command_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`space_id`, `command_id`),
  KEY `ix_command_id` (`command_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_spaces_distribution_systems` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `space_id` BIGINT NOT NULL,
  `distribution_system_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`space_id`, `distribution_system_id`),
  KEY `ix_distribution_system_id` (`distribution_system_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_spaces_energy_flow_diagrams` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `space_id` BIGINT NOT NULL,
  `energy_flow_diagram_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`space_id`, `energy_flow_diagram_id`),
  KEY `ix_energy_flow_diagram_id` (`energy_flow_diagram_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_spaces_energy_storage_power_stations` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `space_id` BIGINT NOT NULL,
  `energy_storage_power_station_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`space_id`, `energy_storage_power_station_id`),
  KEY `ix_energy_storage_power_station_id` (`energy_storage_power_station_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_spaces_microgrids` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `space_id` BIGINT NOT NULL,
  `microgrid_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`space_id`, `microgrid_id`),
  KEY `ix_microgrid_id` (`microgrid_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_spaces_photovoltaic_power_stations` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `space_id` BIGINT NOT NULL,
  `photovoltaic_power_station_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`space_id`, `photovoltaic_power_station_id`),
  KEY `ix_photovoltaic_power_station_id` (`photovoltaic_power_station_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_spaces_wind_farms` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `space_id` BIGINT NOT NULL,
  `wind_farm_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`space_id`, `wind_farm_id`),
  KEY `ix_wind_farm_id` (`wind_farm_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_spaces_charging_stations` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `space_id` BIGINT NOT NULL,
  `charging_station_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`space_id`, `charging_station_id`),
  KEY `ix_charging_station_id` (`charging_station_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- ================================================================================================
-- Equipments
-- ================================================================================================

CREATE TABLE IF NOT EXISTS `tbl_equipments` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `is_input_counted` BOOL NOT NULL,
  `is_output_counted` BOOL NOT NULL,
  `cost_center_id` BIGINT NOT NULL,
  `efficiency_indicator` DECIMAL(21,6) NOT NULL DEFAULT 0,
  `svg_id` BIGINT NULL,
  `camera_url` VARCHAR(1000) NULL,
  `description` LONGTEXT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`),
  KEY `ix_cost_center_id` (`cost_center_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_equipments_meters` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `equipment_id` BIGINT NOT NULL,
  `meter_id` BIGINT NOT NULL,
  `is_output` BOOL NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`equipment_id`, `meter_id`),
  KEY `ix_meter_id` (`meter_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_equipments_virtual_meters` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `equipment_id` BIGINT NOT NULL,
  `virtual_meter_id` BIGINT NOT NULL,
  `is_output` BOOL NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`equipment_id`, `virtual_meter_id`),
  KEY `ix_virtual_meter_id` (`virtual_meter_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_equipments_offline_meters` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `equipment_id` BIGINT NOT NULL,
  `offline_meter_id` BIGINT NOT NULL,
  `is_output` BOOL NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`equipment_id`, `offline_meter_id`),
  KEY `ix_offline_meter_id` (`offline_meter_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_equipments_parameters` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `equipment_id` BIGINT NOT NULL,
  `name` VARCHAR(255) NOT NULL,
  `parameter_type` VARCHAR(32) NOT NULL,
  `constant` VARCHAR(255) NULL,
  `point_id` BIGINT NULL,
  `numerator_meter_uuid` CHAR(36) NULL,
  `denominator_meter_uuid` CHAR(36) NULL,
  PRIMARY KEY (`id`),
  KEY `ix_equipment_id` (`equipment_id`),
  KEY `ix_point_id` (`point_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_equipments_commands` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `equipment_id` BIGINT NOT NULL,
  `command_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`equipment_id`, `command_id`),
  KEY `ix_command_id` (`command_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_equipments_data_sources` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `equipment_id` BIGINT NOT NULL,
  `data_source_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`equipment_id`, `data_source_id`),
  KEY `ix_data_source_id` (`data_source_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- ================================================================================================
-- Combined equipments (groups of equipments)
-- ================================================================================================

CREATE TABLE IF NOT EXISTS `tbl_combined_equipments` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `is_input_counted` BOOL NOT NULL,
  `is_output_counted` BOOL NOT NULL,
  `cost_center_id` BIGINT NOT NULL,
  `efficiency_indicator` DECIMAL(21,6) NOT NULL DEFAULT 0,
  `svg_id` BIGINT NULL,
  `camera_url` VARCHAR(1000) NULL,
  `description` LONGTEXT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`),
  KEY `ix_cost_center_id` (`cost_center_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_combined_equipments_meters` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `combined_equipment_id` BIGINT NOT NULL,
  `meter_id` BIGINT NOT NULL,
  `is_output` BOOL NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`combined_equipment_id`, `meter_id`),
  KEY `ix_meter_id` (`meter_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_combined_equipments_virtual_meters` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `combined_equipment_id` BIGINT NOT NULL,
  `virtual_meter_id` BIGINT NOT NULL,
  `is_output` BOOL NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`combined_equipment_id`, `virtual_meter_id`),
  KEY `ix_virtual_meter_id` (`virtual_meter_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_combined_equipments_offline_meters` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `combined_equipment_id` BIGINT NOT NULL,
  `offline_meter_id` BIGINT NOT NULL,
  `is_output` BOOL NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`combined_equipment_id`, `offline_meter_id`),
  KEY `ix_offline_meter_id` (`offline_meter_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_combined_equipments_parameters` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `combined_equipment_id` BIGINT NOT NULL,
  `name` VARCHAR(255) NOT NULL,
  `parameter_type` VARCHAR(32) NOT NULL,
  `constant` VARCHAR(255) NULL,
  `point_id` BIGINT NULL,
  `numerator_meter_uuid` CHAR(36) NULL,
  `denominator_meter_uuid` CHAR(36) NULL,
  PRIMARY KEY (`id`),
  KEY `ix_combined_equipment_id` (`combined_equipment_id`),
  KEY `ix_point_id` (`point_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_combined_equipments_commands` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `combined_equipment_id` BIGINT NOT NULL,
  `command_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`combined_equipment_id`, `command_id`),
  KEY `ix_command_id` (`command_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_combined_equipments_data_sources` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `combined_equipment_id` BIGINT NOT NULL,
  `data_source_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`combined_equipment_id`, `data_source_id`),
  KEY `ix_data_source_id` (`data_source_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_combined_equipments_equipments` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `combined_equipment_id` BIGINT NOT NULL,
  `equipment_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`combined_equipment_id`, `equipment_id`),
  KEY `ix_equipment_id` (`equipment_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- ================================================================================================
-- Tenants and tenant types
-- ================================================================================================

CREATE TABLE IF NOT EXISTS `tbl_tenant_types` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `description` LONGTEXT NULL,
  `simplified_code` VARCHAR(255) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_tenants` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `buildings` VARCHAR(255) NOT NULL,
  `floors` VARCHAR(255) NOT NULL,
  `rooms` VARCHAR(255) NOT NULL,
  `area` DECIMAL(21,6) NOT NULL,
  `tenant_type_id` BIGINT NOT NULL,
  `is_input_counted` BOOL NOT NULL,
  `is_key_tenant` BOOL NOT NULL,
  `lease_number` VARCHAR(255) NOT NULL,
  `lease_start_datetime_utc` DATETIME NOT NULL,
  `lease_end_datetime_utc` DATETIME NOT NULL,
  `is_in_lease` BOOL NOT NULL,
  `contact_id` BIGINT NOT NULL,
  `cost_center_id` BIGINT NOT NULL,
  `description` LONGTEXT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`),
  KEY `ix_tenant_type_id` (`tenant_type_id`),
  KEY `ix_cost_center_id` (`cost_center_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_tenants_meters` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `tenant_id` BIGINT NOT NULL,
  `meter_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`tenant_id`, `meter_id`),
  KEY `ix_meter_id` (`meter_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_tenants_virtual_meters` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `tenant_id` BIGINT NOT NULL,
  `virtual_meter_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`tenant_id`, `virtual_meter_id`),
  KEY `ix_virtual_meter_id` (`virtual_meter_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_tenants_offline_meters` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `tenant_id` BIGINT NOT NULL,
  `offline_meter_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`tenant_id`, `offline_meter_id`),
  KEY `ix_offline_meter_id` (`offline_meter_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_tenants_points` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `tenant_id` BIGINT NOT NULL,
  `point_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`tenant_id`, `point_id`),
  KEY `ix_point_id` (`point_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_tenants_sensors` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `tenant_id` BIGINT NOT NULL,
  `sensor_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`tenant_id`, `sensor_id`),
  KEY `ix_sensor_id` (`sensor_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_tenants_working_calendars` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `tenant_id` BIGINT NOT NULL,
  `working_calendar_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`tenant_id`, `working_calendar_id`),
  KEY `ix_working_calendar_id` (`working_calendar_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_tenants_commands` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `tenant_id` BIGINT NOT NULL,
  `command_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`tenant_id`, `command_id`),
  KEY `ix_command_id` (`command_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- ================================================================================================
-- Stores and store types
-- ================================================================================================

CREATE TABLE IF NOT EXISTS `tbl_store_types` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `description` LONGTEXT NULL,
  `simplified_code` VARCHAR(255) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_stores` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `address` VARCHAR(255) NOT NULL,
  `latitude` DECIMAL(12,10) NOT NULL,
  `longitude` DECIMAL(13,10) NOT NULL,
  `area` DECIMAL(21,6) NOT NULL,
  `store_type_id` BIGINT NOT NULL,
  `is_input_counted` BOOL NOT NULL,
  `contact_id` BIGINT NOT NULL,
  `cost_center_id` BIGINT NOT NULL,
  `description` LONGTEXT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`),
  KEY `ix_store_type_id` (`store_type_id`),
  KEY `ix_cost_center_id` (`cost_center_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_stores_meters` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `store_id` BIGINT NOT NULL,
  `meter_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`store_id`, `meter_id`),
  KEY `ix_meter_id` (`meter_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_stores_virtual_meters` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `store_id` BIGINT NOT NULL,
  `virtual_meter_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`store_id`, `virtual_meter_id`),
  KEY `ix_virtual_meter_id` (`virtual_meter_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_stores_offline_meters` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `store_id` BIGINT NOT NULL,
  `offline_meter_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`store_id`, `offline_meter_id`),
  KEY `ix_offline_meter_id` (`offline_meter_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_stores_points` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `store_id` BIGINT NOT NULL,
  `point_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`store_id`, `point_id`),
  KEY `ix_point_id` (`point_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_stores_sensors` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `store_id` BIGINT NOT NULL,
  `sensor_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`store_id`, `sensor_id`),
  KEY `ix_sensor_id` (`sensor_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_stores_working_calendars` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `store_id` BIGINT NOT NULL,
  `working_calendar_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`store_id`, `working_calendar_id`),
  KEY `ix_working_calendar_id` (`working_calendar_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_stores_commands` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `store_id` BIGINT NOT NULL,
  `command_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`store_id`, `command_id`),
  KEY `ix_command_id` (`command_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- ================================================================================================
-- Shopfloors
-- ================================================================================================

CREATE TABLE IF NOT EXISTS `tbl_shopfloors` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `area` DECIMAL(21,6) NOT NULL,
  `is_input_counted` BOOL NOT NULL,
  `contact_id` BIGINT NULL,
  `cost_center_id` BIGINT NULL,
  `description` LONGTEXT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`),
  KEY `ix_cost_center_id` (`cost_center_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_shopfloors_equipments` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `shopfloor_id` BIGINT NOT NULL,
  `equipment_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`shopfloor_id`, `equipment_id`),
  KEY `ix_equipment_id` (`equipment_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_shopfloors_meters` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `shopfloor_id` BIGINT NOT NULL,
  `meter_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`shopfloor_id`, `meter_id`),
  KEY `ix_meter_id` (`meter_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_shopfloors_virtual_meters` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `shopfloor_id` BIGINT NOT NULL,
  `virtual_meter_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`shopfloor_id`, `virtual_meter_id`),
  KEY `ix_virtual_meter_id` (`virtual_meter_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_shopfloors_offline_meters` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `shopfloor_id` BIGINT NOT NULL,
  `offline_meter_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`shopfloor_id`, `offline_meter_id`),
  KEY `ix_offline_meter_id` (`offline_meter_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_shopfloors_points` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `shopfloor_id` BIGINT NOT NULL,
  `point_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`shopfloor_id`, `point_id`),
  KEY `ix_point_id` (`point_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_shopfloors_sensors` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `shopfloor_id` BIGINT NOT NULL,
  `sensor_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`shopfloor_id`, `sensor_id`),
  KEY `ix_sensor_id` (`sensor_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_shopfloors_working_calendars` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `shopfloor_id` BIGINT NOT NULL,
  `working_calendar_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`shopfloor_id`, `working_calendar_id`),
  KEY `ix_working_calendar_id` (`working_calendar_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_shopfloors_commands` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `shopfloor_id` BIGINT NOT NULL,
  `command_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`shopfloor_id`, `command_id`),
  KEY `ix_command_id` (`command_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- ================================================================================================
-- Energy flow diagrams (Sankey) and distribution systems
-- ================================================================================================

CREATE TABLE IF NOT EXISTS `tbl_energy_flow_diagrams` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_energy_flow_diagrams_nodes` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `energy_flow_diagram_id` BIGINT NOT NULL,
  `name` VARCHAR(255) NOT NULL,
  PRIMARY KEY (`id`),
  KEY `ix_energy_flow_diagram_id` (`energy_flow_diagram_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_energy_flow_diagrams_links` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `energy_flow_diagram_id` BIGINT NOT NULL,
  `source_node_id` BIGINT NOT NULL,
  `target_node_id` BIGINT NOT NULL,
  `meter_uuid` CHAR(36) NOT NULL,
  PRIMARY KEY (`id`),
  KEY `ix_energy_flow_diagram_id` (`energy_flow_diagram_id`),
  KEY `ix_meter_uuid` (`meter_uuid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_distribution_systems` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `svg_id` BIGINT NULL,
  `description` LONGTEXT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_distribution_circuits` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `distribution_system_id` BIGINT NOT NULL,
  `distribution_room` VARCHAR(255) NOT NULL,
  `switchgear` VARCHAR(255) NOT NULL,
  `peak_load` DECIMAL(21,6) NULL,
  `peak_current` DECIMAL(21,6) NULL,
  `customers` VARCHAR(255) NULL,
  `meters` VARCHAR(255) NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`),
  KEY `ix_distribution_system_id` (`distribution_system_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_distribution_circuits_points` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `distribution_circuit_id` BIGINT NOT NULL,
  `point_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`distribution_circuit_id`, `point_id`),
  KEY `ix_point_id` (`point_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- ================================================================================================
-- Control: commands, control modes, IoT SIM cards
-- ================================================================================================

CREATE TABLE IF NOT EXISTS `tbl_commands` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `topic` VARCHAR(255) NOT NULL,
  `payload` LONGTEXT NOT NULL,
  `set_value` DECIMAL(21,6) NULL,
  `description` LONGTEXT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_control_modes` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `is_active` BOOL NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_control_modes_times` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `control_mode_id` BIGINT NOT NULL,
  `start_time_of_day` TIME NOT NULL,
  `end_time_of_day` TIME NOT NULL,
  `power_value` DECIMAL(21,6) NULL,
  `power_point_id` BIGINT NULL,
  `power_equation` LONGTEXT NULL,
  `description` LONGTEXT NULL,
  PRIMARY KEY (`id`),
  KEY `ix_control_mode_id_start_time_of_day` (`control_mode_id`, `start_time_of_day`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_iot_sim_cards` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `iccid` VARCHAR(255) NOT NULL,
  `imsi` VARCHAR(255) NULL,
  `operator` VARCHAR(255) NULL,
  `status` VARCHAR(255) NULL,
  `active_time` VARCHAR(255) NULL,
  `open_time` VARCHAR(255) NULL,
  `expiration_time` VARCHAR(255) NULL,
  `used_traffic` DECIMAL(21,6) NULL,
  `total_traffic` DECIMAL(21,6) NULL,
  `description` LONGTEXT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_iccid` (`iccid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- ================================================================================================
-- Derived-point integrators (heat, power, fuel)
-- ================================================================================================

CREATE TABLE IF NOT EXISTS `tbl_heat_integrators` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `high_temperature_point_id` BIGINT NOT NULL,
  `low_temperature_point_id` BIGINT NOT NULL,
  `flow_point_id` BIGINT NOT NULL,
  `heat_capacity` DECIMAL(21,6) NOT NULL,
  `liquid_density` DECIMAL(21,6) NOT NULL,
  `coefficient` DECIMAL(21,6) NOT NULL,
  `result_point_id` BIGINT NOT NULL,
  `is_enabled` BOOL NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_power_integrators` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `power_point_id` BIGINT NOT NULL,
  `result_point_id` BIGINT NOT NULL,
  `is_enabled` BOOL NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_fuel_integrators` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `model` VARCHAR(255) NOT NULL,
  `power_point_id` BIGINT NOT NULL,
  `result_point_id` BIGINT NOT NULL,
  `is_enabled` BOOL NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- ================================================================================================
-- Web menus, knowledge base files and the schema version
-- ================================================================================================

CREATE TABLE IF NOT EXISTS `tbl_menus` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `route` VARCHAR(255) NOT NULL,
  `parent_menu_id` BIGINT NULL,
  `is_hidden` BOOL NOT NULL,
  PRIMARY KEY (`id`),
  KEY `ix_parent_menu_id` (`parent_menu_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_knowledge_files` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `file_name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `upload_datetime_utc` DATETIME NOT NULL,
  `upload_user_uuid` CHAR(36) NOT NULL,
  `file_object` LONGBLOB NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_file_name` (`file_name`),
  KEY `ix_upload_datetime_utc` (`upload_datetime_utc`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_versions` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `version` VARCHAR(255) NOT NULL,
  `release_date` DATE NOT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- ================================================================================================
-- Microgrids
-- ================================================================================================

CREATE TABLE IF NOT EXISTS `tbl_microgrids` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `address` VARCHAR(255) NOT NULL,
  `postal_code` VARCHAR(255) NOT NULL,
  `latitude` DECIMAL(12,10) NOT NULL,
  `longitude` DECIMAL(13,10) NOT NULL,
  `latitude_point_id` BIGINT NULL,
  `longitude_point_id` BIGINT NULL,
  `rated_capacity` DECIMAL(21,6) NOT NULL,
  `rated_power` DECIMAL(21,6) NOT NULL,
  `contact_id` BIGINT NOT NULL,
  `cost_center_id` BIGINT NOT NULL,
  `serial_number` VARCHAR(255) NOT NULL,
  `svg_id` BIGINT NOT NULL,
  `svg2_id` BIGINT NULL,
  `svg3_id` BIGINT NULL,
  `svg4_id` BIGINT NULL,
  `svg5_id` BIGINT NULL,
  `is_cost_data_displayed` BOOL NOT NULL,
  `phase_of_lifecycle` VARCHAR(255) NOT NULL,
  `commissioning_date` DATE NULL,
  `description` LONGTEXT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`),
  KEY `ix_cost_center_id` (`cost_center_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_microgrids_batteries` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `microgrid_id` BIGINT NOT NULL,
  `battery_state_point_id` BIGINT NOT NULL,
  `soc_point_id` BIGINT NOT NULL,
  `power_point_id` BIGINT NOT NULL,
  `charge_meter_id` BIGINT NOT NULL,
  `discharge_meter_id` BIGINT NOT NULL,
  `rated_capacity` DECIMAL(21,6) NOT NULL,
  `rated_power` DECIMAL(21,6) NOT NULL,
  `nominal_voltage` DECIMAL(21,6) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`),
  KEY `ix_microgrid_id` (`microgrid_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_microgrids_power_conversion_systems` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `microgrid_id` BIGINT NOT NULL,
  `run_state_point_id` BIGINT NOT NULL,
  `rated_output_power` DECIMAL(21,6) NOT NULL,
  `today_charge_energy_point_id` BIGINT NOT NULL,
  `today_discharge_energy_point_id` BIGINT NOT NULL,
  `total_charge_energy_point_id` BIGINT NOT NULL,
  `total_discharge_energy_point_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`),
  KEY `ix_microgrid_id` (`microgrid_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_microgrids_evchargers` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `microgrid_id` BIGINT NOT NULL,
  `power_point_id` BIGINT NOT NULL,
  `meter_id` BIGINT NOT NULL,
  `rated_output_power` DECIMAL(21,6) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`),
  KEY `ix_microgrid_id` (`microgrid_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_microgrids_generators` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `microgrid_id` BIGINT NOT NULL,
  `power_point_id` BIGINT NOT NULL,
  `meter_id` BIGINT NOT NULL,
  `rated_output_power` DECIMAL(21,6) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`),
  KEY `ix_microgrid_id` (`microgrid_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_microgrids_grids` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `microgrid_id` BIGINT NOT NULL,
  `power_point_id` BIGINT NOT NULL,
  `buy_meter_id` BIGINT NOT NULL,
  `sell_meter_id` BIGINT NOT NULL,
  `capacity` DECIMAL(21,6) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`),
  KEY `ix_microgrid_id` (`microgrid_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_microgrids_heatpumps` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `microgrid_id` BIGINT NOT NULL,
  `power_point_id` BIGINT NOT NULL,
  `electricity_meter_id` BIGINT NOT NULL,
  `heat_meter_id` BIGINT NOT NULL,
  `cooling_meter_id` BIGINT NOT NULL,
  `rated_input_power` DECIMAL(21,6) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`),
  KEY `ix_microgrid_id` (`microgrid_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_microgrids_loads` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `microgrid_id` BIGINT NOT NULL,
  `power_point_id` BIGINT NOT NULL,
  `meter_id` BIGINT NOT NULL,
  `rated_input_power` DECIMAL(21,6) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`),
  KEY `ix_microgrid_id` (`microgrid_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_microgrids_photovoltaics` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `microgrid_id` BIGINT NOT NULL,
  `power_point_id` BIGINT NOT NULL,
  `meter_id` BIGINT NOT NULL,
  `rated_power` DECIMAL(21,6) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`),
  KEY `ix_microgrid_id` (`microgrid_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_microgrids_schedules` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `microgrid_id` BIGINT NOT NULL,
  `start_time_of_day` TIME NOT NULL,
  `end_time_of_day` TIME NOT NULL,
  `peak_type` VARCHAR(8) NOT NULL,
  `power` DECIMAL(21,6) NOT NULL,
  PRIMARY KEY (`id`),
  KEY `ix_microgrid_id_start_time_of_day` (`microgrid_id`, `start_time_of_day`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_microgrids_bmses_points` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `bms_id` BIGINT NOT NULL,
  `point_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`bms_id`, `point_id`),
  KEY `ix_point_id` (`point_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_microgrids_pcses_points` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `pcs_id` BIGINT NOT NULL,
  `point_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`pcs_id`, `point_id`),
  KEY `ix_point_id` (`point_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_microgrids_evchargers_points` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `evcharger_id` BIGINT NOT NULL,
  `point_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`evcharger_id`, `point_id`),
  KEY `ix_point_id` (`point_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_microgrids_generators_points` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `generator_id` BIGINT NOT NULL,
  `point_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`generator_id`, `point_id`),
  KEY `ix_point_id` (`point_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_microgrids_grids_points` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `grid_id` BIGINT NOT NULL,
  `point_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`grid_id`, `point_id`),
  KEY `ix_point_id` (`point_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_microgrids_heatpumps_points` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `heatpump_id` BIGINT NOT NULL,
  `point_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`heatpump_id`, `point_id`),
  KEY `ix_point_id` (`point_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_microgrids_loads_points` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `load_id` BIGINT NOT NULL,
  `point_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`load_id`, `point_id`),
  KEY `ix_point_id` (`point_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_microgrids_pvs_points` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `pv_id` BIGINT NOT NULL,
  `point_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`pv_id`, `point_id`),
  KEY `ix_point_id` (`point_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_microgrids_sensors` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `microgrid_id` BIGINT NOT NULL,
  `sensor_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`microgrid_id`, `sensor_id`),
  KEY `ix_sensor_id` (`sensor_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_microgrids_users` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `microgrid_id` BIGINT NOT NULL,
  `user_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`microgrid_id`, `user_id`),
  KEY `ix_user_id` (`user_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_microgrids_data_sources` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `microgrid_id` BIGINT NOT NULL,
  `data_source_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`microgrid_id`, `data_source_id`),
  KEY `ix_data_source_id` (`data_source_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_microgrids_commands` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `microgrid_id` BIGINT NOT NULL,
  `command_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`microgrid_id`, `command_id`),
  KEY `ix_command_id` (`command_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- ================================================================================================
-- Energy storage containers
-- ================================================================================================

CREATE TABLE IF NOT EXISTS `tbl_energy_storage_containers` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `rated_capacity` DECIMAL(21,6) NOT NULL,
  `rated_power` DECIMAL(21,6) NOT NULL,
  `contact_id` BIGINT NOT NULL,
  `cost_center_id` BIGINT NOT NULL,
  `description` LONGTEXT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`),
  KEY `ix_cost_center_id` (`cost_center_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_energy_storage_containers_batteries` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `energy_storage_container_id` BIGINT NOT NULL,
  `battery_state_point_id` BIGINT NOT NULL,
  `soc_point_id` BIGINT NOT NULL,
  `power_point_id` BIGINT NOT NULL,
  `charge_meter_id` BIGINT NOT NULL,
  `discharge_meter_id` BIGINT NOT NULL,
  `rated_capacity` DECIMAL(21,6) NOT NULL,
  `rated_power` DECIMAL(21,6) NOT NULL,
  `nominal_voltage` DECIMAL(21,6) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`),
  KEY `ix_energy_storage_container_id` (`energy_storage_container_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_energy_storage_containers_dcdcs` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `energy_storage_container_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`),
  KEY `ix_energy_storage_container_id` (`energy_storage_container_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_energy_storage_containers_firecontrols` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `energy_storage_container_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`),
  KEY `ix_energy_storage_container_id` (`energy_storage_container_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_energy_storage_containers_grids` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `energy_storage_container_id` BIGINT NOT NULL,
  `power_point_id` BIGINT NOT NULL,
  `buy_meter_id` BIGINT NOT NULL,
  `sell_meter_id` BIGINT NOT NULL,
  `capacity` DECIMAL(21,6) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`),
  KEY `ix_energy_storage_container_id` (`energy_storage_container_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_energy_storage_containers_hvacs` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `energy_storage_container_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`),
  KEY `ix_energy_storage_container_id` (`energy_storage_container_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_energy_storage_containers_loads` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `energy_storage_container_id` BIGINT NOT NULL,
  `power_point_id` BIGINT NOT NULL,
  `meter_id` BIGINT NOT NULL,
  `rated_input_power` DECIMAL(21,6) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`),
  KEY `ix_energy_storage_container_id` (`energy_storage_container_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_energy_storage_containers_power_conversion_systems` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `energy_storage_container_id` BIGINT NOT NULL,
  `run_state_point_id` BIGINT NOT NULL,
  `rated_output_power` DECIMAL(21,6) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`),
  KEY `ix_energy_storage_container_id` (`energy_storage_container_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_energy_storage_containers_stses` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `energy_storage_container_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`),
  KEY `ix_energy_storage_container_id` (`energy_storage_container_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_energy_storage_containers_schedules` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `energy_storage_container_id` BIGINT NOT NULL,
  `start_time_of_day` TIME NOT NULL,
  `end_time_of_day` TIME NOT NULL,
  `peak_type` VARCHAR(8) NOT NULL,
  `power` DECIMAL(21,6) NOT NULL,
  PRIMARY KEY (`id`),
  KEY `ix_energy_storage_container_id_start_time_of_day` (`energy_storage_container_id`, `start_time_of_day`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_energy_storage_containers_bmses_points` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `bms_id` BIGINT NOT NULL,
  `point_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`bms_id`, `point_id`),
  KEY `ix_point_id` (`point_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_energy_storage_containers_dcdcs_points` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `dcdc_id` BIGINT NOT NULL,
  `point_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`dcdc_id`, `point_id`),
  KEY `ix_point_id` (`point_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_energy_storage_containers_firecontrols_points` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `firecontrol_id` BIGINT NOT NULL,
  `point_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`firecontrol_id`, `point_id`),
  KEY `ix_point_id` (`point_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_energy_storage_containers_grids_points` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `grid_id` BIGINT NOT NULL,
  `point_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`grid_id`, `point_id`),
  KEY `ix_point_id` (`point_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_energy_storage_containers_hvacs_points` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `hvac_id` BIGINT NOT NULL,
  `point_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`hvac_id`, `point_id`),
  KEY `ix_point_id` (`point_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_energy_storage_containers_loads_points` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `load_id` BIGINT NOT NULL,
  `point_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`load_id`, `point_id`),
  KEY `ix_point_id` (`point_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_energy_storage_containers_pcses_points` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `pcs_id` BIGINT NOT NULL,
  `point_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`pcs_id`, `point_id`),
  KEY `ix_point_id` (`point_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_energy_storage_containers_stses_points` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `sts_id` BIGINT NOT NULL,
  `point_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`sts_id`, `point_id`),
  KEY `ix_point_id` (`point_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_energy_storage_containers_commands` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `energy_storage_container_id` BIGINT NOT NULL,
  `command_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`energy_storage_container_id`, `command_id`),
  KEY `ix_command_id` (`command_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_energy_storage_containers_data_sources` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `energy_storage_container_id` BIGINT NOT NULL,
  `data_source_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`energy_storage_container_id`, `data_source_id`),
  KEY `ix_data_source_id` (`data_source_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- ================================================================================================
-- Energy storage power stations (a station groups containers)
-- ================================================================================================

CREATE TABLE IF NOT EXISTS `tbl_energy_storage_power_stations` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `address` VARCHAR(255) NOT NULL,
  `latitude` DECIMAL(12,10) NOT NULL,
  `longitude` DECIMAL(13,10) NOT NULL,
  `latitude_point_id` BIGINT NULL,
  `longitude_point_id` BIGINT NULL,
  `rated_capacity` DECIMAL(21,6) NOT NULL,
  `rated_power` DECIMAL(21,6) NOT NULL,
  `contact_id` BIGINT NOT NULL,
  `cost_center_id` BIGINT NOT NULL,
  `svg_id` BIGINT NOT NULL,
  `svg2_id` BIGINT NULL,
  `svg3_id` BIGINT NULL,
  `svg4_id` BIGINT NULL,
  `svg5_id` BIGINT NULL,
  `is_cost_data_displayed` BOOL NOT NULL,
  `phase_of_lifecycle` VARCHAR(255) NOT NULL,
  `commissioning_date` DATE NULL,
  `description` LONGTEXT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`),
  KEY `ix_cost_center_id` (`cost_center_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_energy_storage_power_stations_containers` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `energy_storage_power_station_id` BIGINT NOT NULL,
  `energy_storage_container_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`energy_storage_power_station_id`, `energy_storage_container_id`),
  KEY `ix_energy_storage_container_id` (`energy_storage_container_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_energy_storage_power_stations_users` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `energy_storage_power_station_id` BIGINT NOT NULL,
  `user_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`energy_storage_power_station_id`, `user_id`),
  KEY `ix_user_id` (`user_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- ================================================================================================
-- Photovoltaic power stations
-- ================================================================================================

CREATE TABLE IF NOT EXISTS `tbl_photovoltaic_power_stations` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `station_code` VARCHAR(255) NOT NULL,
  `address` VARCHAR(255) NOT NULL,
  `latitude` DECIMAL(12,10) NOT NULL,
  `longitude` DECIMAL(13,10) NOT NULL,
  `latitude_point_id` BIGINT NULL,
  `longitude_point_id` BIGINT NULL,
  `rated_capacity` DECIMAL(21,6) NOT NULL,
  `rated_power` DECIMAL(21,6) NOT NULL,
  `contact_id` BIGINT NOT NULL,
  `cost_center_id` BIGINT NOT NULL,
  `svg_id` BIGINT NOT NULL,
  `svg2_id` BIGINT NULL,
  `svg3_id` BIGINT NULL,
  `svg4_id` BIGINT NULL,
  `svg5_id` BIGINT NULL,
  `is_cost_data_displayed` BOOL NOT NULL,
  `phase_of_lifecycle` VARCHAR(255) NOT NULL,
  `commissioning_date` DATE NULL,
  `description` LONGTEXT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`),
  KEY `ix_cost_center_id` (`cost_center_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_photovoltaic_power_stations_grids` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `photovoltaic_power_station_id` BIGINT NOT NULL,
  `power_point_id` BIGINT NOT NULL,
  `buy_meter_id` BIGINT NOT NULL,
  `sell_meter_id` BIGINT NOT NULL,
  `capacity` DECIMAL(21,6) NOT NULL,
  `total_active_power_point_id` BIGINT NULL,
  `active_power_a_point_id` BIGINT NULL,
  `active_power_b_point_id` BIGINT NULL,
  `active_power_c_point_id` BIGINT NULL,
  `total_reactive_power_point_id` BIGINT NULL,
  `reactive_power_a_point_id` BIGINT NULL,
  `reactive_power_b_point_id` BIGINT NULL,
  `reactive_power_c_point_id` BIGINT NULL,
  `total_apparent_power_point_id` BIGINT NULL,
  `apparent_power_a_point_id` BIGINT NULL,
  `apparent_power_b_point_id` BIGINT NULL,
  `apparent_power_c_point_id` BIGINT NULL,
  `total_power_factor_point_id` BIGINT NULL,
  `active_energy_import_point_id` BIGINT NULL,
  `active_energy_export_point_id` BIGINT NULL,
  `active_energy_net_point_id` BIGINT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`),
  KEY `ix_photovoltaic_power_station_id` (`photovoltaic_power_station_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_photovoltaic_power_stations_invertors` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `photovoltaic_power_station_id` BIGINT NOT NULL,
  `model` VARCHAR(255) NOT NULL,
  `serial_number` VARCHAR(255) NOT NULL,
  `invertor_state_point_id` BIGINT NOT NULL,
  `communication_state_point_id` BIGINT NOT NULL,
  `total_energy_point_id` BIGINT NOT NULL,
  `generation_meter_id` BIGINT NOT NULL,
  `today_energy_point_id` BIGINT NULL,
  `efficiency_point_id` BIGINT NULL,
  `temperature_point_id` BIGINT NULL,
  `power_factor_point_id` BIGINT NULL,
  `active_power_point_id` BIGINT NULL,
  `reactive_power_point_id` BIGINT NULL,
  `frequency_point_id` BIGINT NULL,
  `uab_point_id` BIGINT NULL,
  `ubc_point_id` BIGINT NULL,
  `uca_point_id` BIGINT NULL,
  `ua_point_id` BIGINT NULL,
  `ub_point_id` BIGINT NULL,
  `uc_point_id` BIGINT NULL,
  `ia_point_id` BIGINT NULL,
  `ib_point_id` BIGINT NULL,
  `ic_point_id` BIGINT NULL,
  `pv1_u_point_id` BIGINT NULL,
  `pv1_i_point_id` BIGINT NULL,
  `pv2_u_point_id` BIGINT NULL,
  `pv2_i_point_id` BIGINT NULL,
  `pv3_u_point_id` BIGINT NULL,
  `pv3_i_point_id` BIGINT NULL,
  `pv4_u_point_id` BIGINT NULL,
  `pv4_i_point_id` BIGINT NULL,
  `pv5_u_point_id` BIGINT NULL,
  `pv5_i_point_id` BIGINT NULL,
  `pv6_u_point_id` BIGINT NULL,
  `pv6_i_point_id` BIGINT NULL,
  `pv7_u_point_id` BIGINT NULL,
  `pv7_i_point_id` BIGINT NULL,
  `pv8_u_point_id` BIGINT NULL,
  `pv8_i_point_id` BIGINT NULL,
  `pv9_u_point_id` BIGINT NULL,
  `pv9_i_point_id` BIGINT NULL,
  `pv10_u_point_id` BIGINT NULL,
  `pv10_i_point_id` BIGINT NULL,
  `pv11_u_point_id` BIGINT NULL,
  `pv11_i_point_id` BIGINT NULL,
  `pv12_u_point_id` BIGINT NULL,
  `pv12_i_point_id` BIGINT NULL,
  `pv13_u_point_id` BIGINT NULL,
  `pv13_i_point_id` BIGINT NULL,
  `pv14_u_point_id` BIGINT NULL,
  `pv14_i_point_id` BIGINT NULL,
  `pv15_u_point_id` BIGINT NULL,
  `pv15_i_point_id` BIGINT NULL,
  `pv16_u_point_id` BIGINT NULL,
  `pv16_i_point_id` BIGINT NULL,
  `pv17_u_point_id` BIGINT NULL,
  `pv17_i_point_id` BIGINT NULL,
  `pv18_u_point_id` BIGINT NULL,
  `pv18_i_point_id` BIGINT NULL,
  `pv19_u_point_id` BIGINT NULL,
  `pv19_i_point_id` BIGINT NULL,
  `pv20_u_point_id` BIGINT NULL,
  `pv20_i_point_id` BIGINT NULL,
  `pv21_u_point_id` BIGINT NULL,
  `pv21_i_point_id` BIGINT NULL,
  `pv22_u_point_id` BIGINT NULL,
  `pv22_i_point_id` BIGINT NULL,
  `pv23_u_point_id` BIGINT NULL,
  `pv23_i_point_id` BIGINT NULL,
  `pv24_u_point_id` BIGINT NULL,
  `pv24_i_point_id` BIGINT NULL,
  `pv25_u_point_id` BIGINT NULL,
  `pv25_i_point_id` BIGINT NULL,
  `pv26_u_point_id` BIGINT NULL,
  `pv26_i_point_id` BIGINT NULL,
  `pv27_u_point_id` BIGINT NULL,
  `pv27_i_point_id` BIGINT NULL,
  `pv28_u_point_id` BIGINT NULL,
  `pv28_i_point_id` BIGINT NULL,
  `mppt_total_energy_point_id` BIGINT NULL,
  `mppt_power_point_id` BIGINT NULL,
  `mppt_1_energy_point_id` BIGINT NULL,
  `mppt_2_energy_point_id` BIGINT NULL,
  `mppt_3_energy_point_id` BIGINT NULL,
  `mppt_4_energy_point_id` BIGINT NULL,
  `mppt_5_energy_point_id` BIGINT NULL,
  `mppt_6_energy_point_id` BIGINT NULL,
  `mppt_7_energy_point_id` BIGINT NULL,
  `mppt_8_energy_point_id` BIGINT NULL,
  `mppt_9_energy_point_id` BIGINT NULL,
  `mppt_10_energy_point_id` BIGINT NULL,
  `startup_time_point_id` BIGINT NULL,
  `shutdown_time_point_id` BIGINT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`),
  KEY `ix_photovoltaic_power_station_id` (`photovoltaic_power_station_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_photovoltaic_power_stations_loads` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `photovoltaic_power_station_id` BIGINT NOT NULL,
  `power_point_id` BIGINT NOT NULL,
  `meter_id` BIGINT NOT NULL,
  `rated_input_power` DECIMAL(21,6) NOT NULL,
  `total_active_power_point_id` BIGINT NULL,
  `active_power_a_point_id` BIGINT NULL,
  `active_power_b_point_id` BIGINT NULL,
  `active_power_c_point_id` BIGINT NULL,
  `total_reactive_power_point_id` BIGINT NULL,
  `reactive_power_a_point_id` BIGINT NULL,
  `reactive_power_b_point_id` BIGINT NULL,
  `reactive_power_c_point_id` BIGINT NULL,
  `total_apparent_power_point_id` BIGINT NULL,
  `apparent_power_a_point_id` BIGINT NULL,
  `apparent_power_b_point_id` BIGINT NULL,
  `apparent_power_c_point_id` BIGINT NULL,
  `total_power_factor_point_id` BIGINT NULL,
  `active_energy_import_point_id` BIGINT NULL,
  `active_energy_export_point_id` BIGINT NULL,
  `active_energy_net_point_id` BIGINT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`),
  KEY `ix_photovoltaic_power_station_id` (`photovoltaic_power_station_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_photovoltaic_power_stations_grids_points` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `grid_id` BIGINT NOT NULL,
  `point_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`grid_id`, `point_id`),
  KEY `ix_point_id` (`point_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_photovoltaic_power_stations_invertors_points` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `invertor_id` BIGINT NOT NULL,
  `point_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`invertor_id`, `point_id`),
  KEY `ix_point_id` (`point_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_photovoltaic_power_stations_loads_points` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `load_id` BIGINT NOT NULL,
  `point_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`load_id`, `point_id`),
  KEY `ix_point_id` (`point_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_photovoltaic_power_stations_users` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `photovoltaic_power_station_id` BIGINT NOT NULL,
  `user_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`photovoltaic_power_station_id`, `user_id`),
  KEY `ix_user_id` (`user_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_photovoltaic_power_stations_data_sources` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `photovoltaic_power_station_id` BIGINT NOT NULL,
  `data_source_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`photovoltaic_power_station_id`, `data_source_id`),
  KEY `ix_data_source_id` (`data_source_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- ================================================================================================
-- Wind farms, charging stations and virtual power plants
-- ================================================================================================

CREATE TABLE IF NOT EXISTS `tbl_wind_farms` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `address` VARCHAR(255) NOT NULL,
  `latitude` DECIMAL(12,10) NOT NULL,
  `longitude` DECIMAL(13,10) NOT NULL,
  `latitude_point_id` BIGINT NULL,
  `longitude_point_id` BIGINT NULL,
  `rated_power` DECIMAL(21,6) NOT NULL,
  `contact_id` BIGINT NOT NULL,
  `cost_center_id` BIGINT NOT NULL,
  `svg_id` BIGINT NOT NULL,
  `svg2_id` BIGINT NULL,
  `svg3_id` BIGINT NULL,
  `svg4_id` BIGINT NULL,
  `svg5_id` BIGINT NULL,
  `description` LONGTEXT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`),
  KEY `ix_cost_center_id` (`cost_center_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_charging_stations` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `address` VARCHAR(255) NOT NULL,
  `latitude` DECIMAL(12,10) NOT NULL,
  `longitude` DECIMAL(13,10) NOT NULL,
  `latitude_point_id` BIGINT NULL,
  `longitude_point_id` BIGINT NULL,
  `rated_capacity` DECIMAL(21,6) NOT NULL,
  `rated_power` DECIMAL(21,6) NOT NULL,
  `contact_id` BIGINT NOT NULL,
  `cost_center_id` BIGINT NOT NULL,
  `svg_id` BIGINT NOT NULL,
  `svg2_id` BIGINT NULL,
  `svg3_id` BIGINT NULL,
  `svg4_id` BIGINT NULL,
  `svg5_id` BIGINT NULL,
  `is_cost_data_displayed` BOOL NOT NULL,
  `phase_of_lifecycle` VARCHAR(255) NOT NULL,
  `commissioning_date` DATE NULL,
  `description` LONGTEXT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`),
  KEY `ix_cost_center_id` (`cost_center_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_virtual_power_plants` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(255) NOT NULL,
  `uuid` CHAR(36) NOT NULL,
  `cost_center_id` BIGINT NOT NULL,
  `balancing_price_point_id` BIGINT NOT NULL,
  `svg_id` BIGINT NOT NULL,
  `description` LONGTEXT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_uuid` (`uuid`),
  KEY `ix_name` (`name`),
  KEY `ix_cost_center_id` (`cost_center_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `tbl_virtual_power_plants_microgrids` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `virtual_power_plant_id` BIGINT NOT NULL,
  `microgrid_id` BIGINT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_pair` (`virtual_power_plant_id`, `microgrid_id`),
  KEY `ix_microgrid_id` (`microgrid_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Schema version: one row per migration in database/upgrade/ that has been applied (written by
-- python -m myems_common.schema migrate). tbl_versions above is the product version shown by /version.
CREATE TABLE IF NOT EXISTS `tbl_schema_migrations` (
  `version` INT NOT NULL,
  `name` VARCHAR(255) NOT NULL,
  `checksum` CHAR(64) NOT NULL,
  `applied_datetime_utc` DATETIME NOT NULL,
  PRIMARY KEY (`version`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- ================================================================================================
-- Seed rows. INSERT IGNORE with fixed ids, so a re-run adds nothing
-- ================================================================================================

INSERT IGNORE INTO `tbl_timezones` (`id`, `name`, `description`, `utc_offset`) VALUES
  (1, 'UTC', '(UTC+00:00) Coordinated Universal Time', '+00:00'),
  (2, 'Pacific/Pago_Pago', '(UTC-11:00) American Samoa, Midway', '-11:00'),
  (3, 'Pacific/Honolulu', '(UTC-10:00) Hawaii', '-10:00'),
  (4, 'America/Anchorage', '(UTC-09:00) Alaska', '-09:00'),
  (5, 'America/Los_Angeles', '(UTC-08:00) Pacific Time (US and Canada), Los Angeles', '-08:00'),
  (6, 'America/Denver', '(UTC-07:00) Mountain Time (US and Canada), Denver', '-07:00'),
  (7, 'America/Phoenix', '(UTC-07:00) Arizona', '-07:00'),
  (8, 'America/Chicago', '(UTC-06:00) Central Time (US and Canada), Chicago', '-06:00'),
  (9, 'America/Mexico_City', '(UTC-06:00) Mexico City, Guadalajara, Monterrey', '-06:00'),
  (10, 'America/Regina', '(UTC-06:00) Saskatchewan', '-06:00'),
  (11, 'America/Guatemala', '(UTC-06:00) Central America, Guatemala', '-06:00'),
  (12, 'America/New_York', '(UTC-05:00) Eastern Time (US and Canada), New York', '-05:00'),
  (13, 'America/Toronto', '(UTC-05:00) Toronto, Montreal', '-05:00'),
  (14, 'America/Bogota', '(UTC-05:00) Bogota', '-05:00'),
  (15, 'America/Lima', '(UTC-05:00) Lima', '-05:00'),
  (16, 'America/Havana', '(UTC-05:00) Havana', '-05:00'),
  (17, 'America/Halifax', '(UTC-04:00) Atlantic Time (Canada), Halifax', '-04:00'),
  (18, 'America/Caracas', '(UTC-04:00) Caracas', '-04:00'),
  (19, 'America/La_Paz', '(UTC-04:00) La Paz', '-04:00'),
  (20, 'America/Manaus', '(UTC-04:00) Manaus', '-04:00'),
  (21, 'America/Santiago', '(UTC-04:00) Santiago', '-04:00'),
  (22, 'America/St_Johns', '(UTC-03:30) Newfoundland, St. Johns', '-03:30'),
  (23, 'America/Asuncion', '(UTC-03:00) Asuncion', '-03:00'),
  (24, 'America/Sao_Paulo', '(UTC-03:00) Brasilia, Sao Paulo', '-03:00'),
  (25, 'America/Argentina/Buenos_Aires', '(UTC-03:00) Buenos Aires', '-03:00'),
  (26, 'America/Montevideo', '(UTC-03:00) Montevideo', '-03:00'),
  (27, 'America/Nuuk', '(UTC-02:00) Greenland, Nuuk', '-02:00'),
  (28, 'Atlantic/Azores', '(UTC-01:00) Azores', '-01:00'),
  (29, 'Atlantic/Cape_Verde', '(UTC-01:00) Cape Verde', '-01:00'),
  (30, 'Europe/London', '(UTC+00:00) London, Edinburgh', '+00:00'),
  (31, 'Europe/Dublin', '(UTC+00:00) Dublin', '+00:00'),
  (32, 'Europe/Lisbon', '(UTC+00:00) Lisbon', '+00:00'),
  (33, 'Atlantic/Reykjavik', '(UTC+00:00) Reykjavik', '+00:00'),
  (34, 'Africa/Abidjan', '(UTC+00:00) Abidjan, Dakar', '+00:00'),
  (35, 'Africa/Casablanca', '(UTC+01:00) Casablanca', '+01:00'),
  (36, 'Europe/Berlin', '(UTC+01:00) Berlin', '+01:00'),
  (37, 'Europe/Paris', '(UTC+01:00) Paris', '+01:00'),
  (38, 'Europe/Madrid', '(UTC+01:00) Madrid', '+01:00'),
  (39, 'Europe/Rome', '(UTC+01:00) Rome', '+01:00'),
  (40, 'Europe/Amsterdam', '(UTC+01:00) Amsterdam', '+01:00'),
  (41, 'Europe/Brussels', '(UTC+01:00) Brussels', '+01:00'),
  (42, 'Europe/Vienna', '(UTC+01:00) Vienna', '+01:00'),
  (43, 'Europe/Zurich', '(UTC+01:00) Zurich, Bern', '+01:00'),
  (44, 'Europe/Stockholm', '(UTC+01:00) Stockholm', '+01:00'),
  (45, 'Europe/Warsaw', '(UTC+01:00) Warsaw', '+01:00'),
  (46, 'Europe/Prague', '(UTC+01:00) Prague', '+01:00'),
  (47, 'Europe/Budapest', '(UTC+01:00) Budapest', '+01:00'),
  (48, 'Europe/Belgrade', '(UTC+01:00) Belgrade', '+01:00'),
  (49, 'Africa/Lagos', '(UTC+01:00) West Central Africa, Lagos', '+01:00'),
  (50, 'Africa/Algiers', '(UTC+01:00) Algiers', '+01:00'),
  (51, 'Europe/Athens', '(UTC+02:00) Athens', '+02:00'),
  (52, 'Europe/Bucharest', '(UTC+02:00) Bucharest', '+02:00'),
  (53, 'Europe/Helsinki', '(UTC+02:00) Helsinki', '+02:00'),
  (54, 'Europe/Kyiv', '(UTC+02:00) Kyiv', '+02:00'),
  (55, 'Europe/Sofia', '(UTC+02:00) Sofia', '+02:00'),
  (56, 'Asia/Jerusalem', '(UTC+02:00) Jerusalem', '+02:00'),
  (57, 'Asia/Beirut', '(UTC+02:00) Beirut', '+02:00'),
  (58, 'Africa/Cairo', '(UTC+02:00) Cairo', '+02:00'),
  (59, 'Africa/Johannesburg', '(UTC+02:00) Johannesburg, Pretoria', '+02:00'),
  (60, 'Africa/Windhoek', '(UTC+02:00) Windhoek', '+02:00'),
  (61, 'Asia/Amman', '(UTC+03:00) Amman', '+03:00'),
  (62, 'Europe/Istanbul', '(UTC+03:00) Istanbul', '+03:00'),
  (63, 'Europe/Moscow', '(UTC+03:00) Moscow, St. Petersburg', '+03:00'),
  (64, 'Europe/Minsk', '(UTC+03:00) Minsk', '+03:00'),
  (65, 'Asia/Riyadh', '(UTC+03:00) Riyadh, Kuwait', '+03:00'),
  (66, 'Asia/Baghdad', '(UTC+03:00) Baghdad', '+03:00'),
  (67, 'Asia/Qatar', '(UTC+03:00) Doha', '+03:00'),
  (68, 'Africa/Nairobi', '(UTC+03:00) Nairobi', '+03:00'),
  (69, 'Asia/Tehran', '(UTC+03:30) Tehran', '+03:30'),
  (70, 'Asia/Dubai', '(UTC+04:00) Abu Dhabi, Dubai, Muscat', '+04:00'),
  (71, 'Asia/Baku', '(UTC+04:00) Baku', '+04:00'),
  (72, 'Asia/Tbilisi', '(UTC+04:00) Tbilisi', '+04:00'),
  (73, 'Asia/Yerevan', '(UTC+04:00) Yerevan', '+04:00'),
  (74, 'Indian/Mauritius', '(UTC+04:00) Port Louis', '+04:00'),
  (75, 'Asia/Kabul', '(UTC+04:30) Kabul', '+04:30'),
  (76, 'Asia/Karachi', '(UTC+05:00) Islamabad, Karachi', '+05:00'),
  (77, 'Asia/Tashkent', '(UTC+05:00) Tashkent', '+05:00'),
  (78, 'Asia/Yekaterinburg', '(UTC+05:00) Yekaterinburg', '+05:00'),
  (79, 'Asia/Almaty', '(UTC+05:00) Almaty, Astana', '+05:00'),
  (80, 'Asia/Kolkata', '(UTC+05:30) India, Kolkata, Mumbai, New Delhi', '+05:30'),
  (81, 'Asia/Colombo', '(UTC+05:30) Sri Jayawardenepura, Colombo', '+05:30'),
  (82, 'Asia/Kathmandu', '(UTC+05:45) Kathmandu', '+05:45'),
  (83, 'Asia/Dhaka', '(UTC+06:00) Dhaka', '+06:00'),
  (84, 'Asia/Yangon', '(UTC+06:30) Yangon', '+06:30'),
  (85, 'Asia/Bangkok', '(UTC+07:00) Bangkok, Hanoi', '+07:00'),
  (86, 'Asia/Jakarta', '(UTC+07:00) Jakarta', '+07:00'),
  (87, 'Asia/Novosibirsk', '(UTC+07:00) Novosibirsk', '+07:00'),
  (88, 'Asia/Shanghai', '(UTC+08:00) China, Beijing, Shanghai', '+08:00'),
  (89, 'Asia/Hong_Kong', '(UTC+08:00) Hong Kong', '+08:00'),
  (90, 'Asia/Taipei', '(UTC+08:00) Taipei', '+08:00'),
  (91, 'Asia/Singapore', '(UTC+08:00) Singapore', '+08:00'),
  (92, 'Asia/Kuala_Lumpur', '(UTC+08:00) Kuala Lumpur', '+08:00'),
  (93, 'Asia/Manila', '(UTC+08:00) Manila', '+08:00'),
  (94, 'Australia/Perth', '(UTC+08:00) Perth', '+08:00'),
  (95, 'Asia/Irkutsk', '(UTC+08:00) Irkutsk', '+08:00'),
  (96, 'Asia/Ulaanbaatar', '(UTC+08:00) Ulaanbaatar', '+08:00'),
  (97, 'Asia/Tokyo', '(UTC+09:00) Tokyo, Osaka, Sapporo', '+09:00'),
  (98, 'Asia/Seoul', '(UTC+09:00) Seoul', '+09:00'),
  (99, 'Asia/Yakutsk', '(UTC+09:00) Yakutsk', '+09:00'),
  (100, 'Australia/Darwin', '(UTC+09:30) Darwin', '+09:30'),
  (101, 'Australia/Adelaide', '(UTC+09:30) Adelaide', '+09:30'),
  (102, 'Australia/Brisbane', '(UTC+10:00) Brisbane', '+10:00'),
  (103, 'Australia/Sydney', '(UTC+10:00) Canberra, Sydney', '+10:00'),
  (104, 'Australia/Melbourne', '(UTC+10:00) Melbourne', '+10:00'),
  (105, 'Australia/Hobart', '(UTC+10:00) Hobart', '+10:00'),
  (106, 'Pacific/Port_Moresby', '(UTC+10:00) Port Moresby', '+10:00'),
  (107, 'Asia/Vladivostok', '(UTC+10:00) Vladivostok', '+10:00'),
  (108, 'Pacific/Noumea', '(UTC+11:00) New Caledonia', '+11:00'),
  (109, 'Pacific/Guadalcanal', '(UTC+11:00) Solomon Islands', '+11:00'),
  (110, 'Pacific/Auckland', '(UTC+12:00) Auckland, Wellington', '+12:00'),
  (111, 'Pacific/Fiji', '(UTC+12:00) Fiji', '+12:00'),
  (112, 'Asia/Kamchatka', '(UTC+12:00) Petropavlovsk-Kamchatsky', '+12:00'),
  (113, 'Pacific/Chatham', '(UTC+12:45) Chatham Islands', '+12:45'),
  (114, 'Pacific/Tongatapu', '(UTC+13:00) Tonga', '+13:00'),
  (115, 'Pacific/Apia', '(UTC+13:00) Samoa', '+13:00'),
  (116, 'Pacific/Kiritimati', '(UTC+14:00) Kiritimati', '+14:00');

INSERT IGNORE INTO `tbl_protocols` (`id`, `name`, `code`) VALUES
  (1, 'Modbus TCP', 'modbus-tcp'),
  (2, 'BACnet/IP', 'bacnet-ip'),
  (3, 'Cassandra', 'cassandra'),
  (4, 'ClickHouse', 'clickhouse'),
  (5, 'CoAP', 'coap'),
  (6, 'ControlLogix', 'controllogix'),
  (7, 'DL/T645', 'dlt645'),
  (8, 'DTU-RTU', 'dtu-rtu'),
  (9, 'DTU-TCP', 'dtu-tcp'),
  (10, 'DTU-MQTT', 'dtu-mqtt'),
  (11, 'Elexon BMRS', 'elexon-bmrs'),
  (12, 'IEC 104', 'iec104'),
  (13, 'InfluxDB', 'influxdb'),
  (14, 'LoRa', 'lora'),
  (15, 'Modbus RTU', 'modbus-rtu'),
  (16, 'MongoDB', 'mongodb'),
  (17, 'MQTT Acrel', 'mqtt-acrel'),
  (18, 'MQTT ADW300', 'mqtt-adw300'),
  (19, 'MQTT EG200', 'mqtt-eg200'),
  (20, 'MQTT Huiju', 'mqtt-huiju'),
  (21, 'MQTT MD4220', 'mqtt-md4220'),
  (22, 'MQTT SEG', 'mqtt-seg'),
  (23, 'MQTT Weilan', 'mqtt-weilan'),
  (24, 'MQTT Xintianli', 'mqtt-xintianli'),
  (25, 'MQTT Zhongxian', 'mqtt-zhongxian'),
  (26, 'MQTT', 'mqtt'),
  (27, 'MySQL', 'mysql'),
  (28, 'OPC UA', 'opc-ua'),
  (29, 'Oracle', 'oracle'),
  (30, 'PostgreSQL', 'postgresql'),
  (31, 'PROFIBUS', 'profibus'),
  (32, 'PROFINET', 'profinet'),
  (33, 'Siemens S7', 's7'),
  (34, 'Simulation', 'simulation'),
  (35, 'SQL Server', 'sqlserver'),
  (36, 'TDengine', 'tdengine'),
  (37, 'Weather', 'weather');

-- Gateway 1: uuid and token differ on every install (MyEMS ships one fixed token for all installs).
INSERT IGNORE INTO `tbl_gateways` (`id`, `name`, `uuid`, `token`, `last_seen_datetime_utc`, `description`)
SELECT 1, 'Gateway1', UUID(),
       CONCAT(SUBSTRING(r.h, 1, 8), '-', SUBSTRING(r.h, 9, 4), '-4', SUBSTRING(r.h, 14, 3), '-',
              ELT(1 + CONV(SUBSTRING(r.h, 17, 1), 16, 10) % 4, '8', '9', 'a', 'b'), SUBSTRING(r.h, 18, 3), '-',
              SUBSTRING(r.h, 21, 12)),
       NULL, 'Default gateway. Its uuid and token are generated at install time.'
FROM (SELECT LOWER(HEX(RANDOM_BYTES(16))) AS h) AS r;

INSERT IGNORE INTO `tbl_spaces` (`id`, `name`, `uuid`, `parent_space_id`, `area`, `number_of_occupants`, `timezone_id`, `is_input_counted`, `is_output_counted`, `contact_id`, `cost_center_id`, `latitude`, `longitude`, `description`) VALUES
  (1, 'Root', '6056bbd7-c2c8-472f-9ec6-af8e988eaeb4', NULL, 0, 1, 1, 1, 1, NULL, NULL, NULL, NULL, 'Root of the space tree. Never delete it.');

INSERT IGNORE INTO `tbl_versions` (`id`, `version`, `release_date`) VALUES
  (1, '0.1.0', '2026-11-26');
