//! Zed extension that runs `ginhotd --stdio` for Go buffers. The binary and
//! its arguments come from the "lsp.ginhotd.binary" setting, else `ginhotd`
//! from the worktree's PATH; "lsp.ginhotd.initialization_options" is passed on.
use zed_extension_api::{self as zed, serde_json, settings::LspSettings, LanguageServerId, Result};

struct Ginhot;

impl zed::Extension for Ginhot {
    fn new() -> Self {
        Ginhot
    }

    fn language_server_command(&mut self, id: &LanguageServerId, worktree: &zed::Worktree) -> Result<zed::Command> {
        let binary = LspSettings::for_worktree(id.as_ref(), worktree).ok().and_then(|s| s.binary);
        let path = binary.as_ref().and_then(|b| b.path.clone()).or_else(|| worktree.which("ginhotd")).ok_or_else(|| {
            "ginhotd not found in PATH: go install github.com/ginhotd/ginhotd/cmd/ginhotd@latest".to_string()
        })?;
        let args = binary.and_then(|b| b.arguments).unwrap_or_else(|| vec!["--stdio".into()]);
        Ok(zed::Command { command: path, args, env: worktree.shell_env() })
    }

    fn language_server_initialization_options(
        &mut self,
        id: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<Option<serde_json::Value>> {
        Ok(LspSettings::for_worktree(id.as_ref(), worktree).ok().and_then(|s| s.initialization_options))
    }
}

zed::register_extension!(Ginhot);
