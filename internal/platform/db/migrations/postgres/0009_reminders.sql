-- +goose Up
-- Reminders (package reminders). A reminder is one message for one start
-- time: when an appointment moves, the reminders already sent for the old
-- time stay as history and new ones are made for the new time, so the unique
-- key gains due_at.
ALTER TABLE reminders DROP CONSTRAINT reminders_appointment_id_client_id_channel_hours_before_key;
ALTER TABLE reminders ADD CONSTRAINT reminders_appointment_id_client_id_channel_hours_before_due_key
    UNIQUE (appointment_id, client_id, channel, hours_before, due_at);

-- +goose Down
-- Fails if an appointment has reminders for two start times; delete the
-- older ones first.
ALTER TABLE reminders DROP CONSTRAINT reminders_appointment_id_client_id_channel_hours_before_due_key;
ALTER TABLE reminders ADD CONSTRAINT reminders_appointment_id_client_id_channel_hours_before_key
    UNIQUE (appointment_id, client_id, channel, hours_before);
