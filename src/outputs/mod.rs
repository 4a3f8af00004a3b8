//! What stages hand on beyond the kept and rejected tables, written by the finish phase:
//! cold-start's SFT set, answer pairs and annotation queue; reasoning-RL's selection; the chat
//! format of fused thinking and non-thinking data.

pub mod chat_modes;
pub mod cold_start;
pub mod reasoning_rl;
