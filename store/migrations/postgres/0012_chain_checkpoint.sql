-- The newest change record a check of the hash chain verified, and how many records it had
-- verified by then: the next check hashes only the records after it.
CREATE TABLE chain_checkpoint (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    seq     BIGINT  NOT NULL,
    hash    TEXT    NOT NULL,
    records BIGINT  NOT NULL
);
