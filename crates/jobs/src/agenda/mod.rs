//! Jobs of the agendas: the reminders of appointments, by e-mail through the département's SMTP server
//! and by SMS through a provider interface.

pub mod rappel;
pub mod sms;
