-- A database holding every kind of object a schema snapshot must restore exactly. Loaded with
-- `mariadb --comments` so comments inside routine bodies reach the server.
CREATE DATABASE dk_src CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
USE dk_src;

-- invisible and generated columns, AUTO_INCREMENT advanced past its rows
CREATE TABLE parent (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(40) NOT NULL,
  secret VARCHAR(20) INVISIBLE DEFAULT 'hidden',
  name_upper VARCHAR(40) AS (UPPER(name)) VIRTUAL,
  name_len INT AS (CHAR_LENGTH(name)) STORED,
  KEY k_len (name_len)
) ENGINE=InnoDB;
INSERT INTO parent (name) VALUES ('a'), ('b'), ('c');
DELETE FROM parent;
ALTER TABLE parent AUTO_INCREMENT = 1000;

CREATE TABLE child (
  id INT NOT NULL PRIMARY KEY,
  parent_id INT UNSIGNED,
  note VARCHAR(100),
  CONSTRAINT fk_child_parent FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE CASCADE
) ENGINE=InnoDB;

CREATE TABLE legacy (
  code CHAR(3) NOT NULL PRIMARY KEY,
  label VARCHAR(50)
) ENGINE=InnoDB DEFAULT CHARSET=latin1 COLLATE=latin1_german1_ci COMMENT='old -- data; with # and /* marks */';

CREATE TABLE history (id INT PRIMARY KEY, v INT) WITH SYSTEM VERSIONING;

CREATE TABLE measurements (
  id INT NOT NULL,
  taken DATE NOT NULL,
  PRIMARY KEY (id, taken)
) PARTITION BY RANGE (YEAR(taken)) (
  PARTITION p2023 VALUES LESS THAN (2024),
  PARTITION p2024 VALUES LESS THAN (2025),
  PARTITION pmax VALUES LESS THAN MAXVALUE
);

CREATE TABLE log (id INT AUTO_INCREMENT PRIMARY KEY, msg VARCHAR(200));

-- sequences, advanced: one cached (next_not_cached_value jumps), one not
CREATE SEQUENCE ticket START WITH 100 INCREMENT BY 10;
SELECT NEXTVAL(ticket), NEXTVAL(ticket), NEXTVAL(ticket);
CREATE SEQUENCE invoice_no NOCACHE;
SELECT NEXTVAL(invoice_no), NEXTVAL(invoice_no), NEXTVAL(invoice_no), NEXTVAL(invoice_no), NEXTVAL(invoice_no);

-- a view on a view on a view; the middle one sorts before its base
CREATE VIEW b_base AS SELECT id, name FROM parent;
CREATE VIEW a_on_base AS SELECT id FROM b_base WHERE id > 1;
CREATE VIEW z_on_on AS SELECT a.id FROM a_on_base a JOIN dk_src.child c ON c.id = a.id;
CREATE VIEW greeting AS SELECT 'héllo ✓' AS g, 'x -- y' AS h;
CREATE DEFINER=`ghost`@`%` SQL SECURITY INVOKER VIEW ghost_view AS SELECT 1 AS one;

-- four triggers on one table whose firing order (z, m, b, a) is neither name nor creation order
CREATE TRIGGER child_ai_m AFTER INSERT ON child FOR EACH ROW INSERT INTO log (msg) VALUES (CONCAT('m ', NEW.id));
CREATE TRIGGER child_ai_a AFTER INSERT ON child FOR EACH ROW FOLLOWS child_ai_m INSERT INTO log (msg) VALUES (CONCAT('a ', NEW.id));
CREATE TRIGGER child_ai_z AFTER INSERT ON child FOR EACH ROW PRECEDES child_ai_m INSERT INTO log (msg) VALUES (CONCAT('z ', NEW.id));
CREATE TRIGGER child_ai_b AFTER INSERT ON child FOR EACH ROW FOLLOWS child_ai_m INSERT INTO log (msg) VALUES (CONCAT('b ', NEW.id));

-- bodies whose meaning depends on the sql_mode they were created under
SET sql_mode = 'PIPES_AS_CONCAT,ANSI_QUOTES';
CREATE TRIGGER "child_bi" BEFORE INSERT ON child FOR EACH ROW SET NEW.note = NEW.note || '!';
CREATE PROCEDURE "shout"(IN "msg" VARCHAR(50)) SELECT "msg" || '!' AS "loud";
SET sql_mode = DEFAULT;

CREATE DEFINER=`ghost`@`%` TRIGGER parent_bi BEFORE INSERT ON parent FOR EACH ROW SET NEW.name = TRIM(NEW.name);

CREATE FUNCTION add_tax(p DECIMAL(10,2)) RETURNS DECIMAL(10,2) DETERMINISTIC RETURN p * 1.2;

DELIMITER //
CREATE PROCEDURE   odd_proc (IN  n INT)
    COMMENT 'odd; one'
BEGIN
	-- a tab-indented comment; with a semicolon
  /* a block
     comment */   SELECT   n ,   'it''s -- not a comment' AS s;    # a hash comment
  INSERT INTO dk_src.log (msg) VALUES (CONCAT('odd ', n));   
  SELECT COUNT(*) FROM `dk_src`.`log`;

END //
DELIMITER ;

CREATE EVENT purge_log ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 03:00:00'
  ON COMPLETION PRESERVE DISABLE COMMENT 'nightly' DO DELETE FROM log WHERE id < 0;
SET time_zone = '+05:30';
CREATE EVENT tz_event ON SCHEDULE AT '2031-06-01 12:00:00' ON COMPLETION PRESERVE DISABLE DO DELETE FROM dk_src.log;
SET time_zone = DEFAULT;

-- a routine created while the database had another collation
ALTER DATABASE dk_src CHARACTER SET latin1 COLLATE latin1_swedish_ci;
CREATE FUNCTION legacy_label(c CHAR(3)) RETURNS VARCHAR(50) READS SQL DATA RETURN (SELECT label FROM legacy WHERE code = c);
ALTER DATABASE dk_src CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- a package (Oracle mode)
SET sql_mode = ORACLE;
DELIMITER //
CREATE PACKAGE pricing AS
  FUNCTION rate RETURN INT;
END;
//
CREATE PACKAGE BODY pricing AS
  FUNCTION rate RETURN INT AS BEGIN RETURN 7; END;
END;
//
DELIMITER ;
SET sql_mode = DEFAULT;
