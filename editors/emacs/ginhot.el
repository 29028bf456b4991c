;;; ginhot.el --- ginhotd, the reload daemon for Gin apps, through eglot  -*- lexical-binding: t; -*-

;; Load it from your init file: (load "/path/to/editors/emacs/ginhot.el").
;; Eglot runs one server per buffer, so in Go buffers ginhotd takes gopls's
;; place and reports every build error ("all"). M-x eglot starts it; build
;; errors show through Flymake, the app's output in the events buffer.

(require 'eglot)
(require 'jsonrpc)

(add-to-list 'eglot-server-programs
             '((go-mode go-ts-mode go-mod-ts-mode)
               . ("ginhotd" "--stdio" :initializationOptions (:diagnostics "all"))))

(defun ginhot--execute (command &rest arguments)
  "Run the ginhotd COMMAND with ARGUMENTS in this buffer's server."
  (jsonrpc-request (eglot--current-server-or-lose) :workspace/executeCommand
                   `(:command ,command :arguments ,(vconcat arguments))))

(defun ginhot-restart () "Restart the app." (interactive) (ginhot--execute "ginhot.restart"))
(defun ginhot-rebuild () "Rebuild and swap the app." (interactive) (ginhot--execute "ginhot.rebuild"))
(defun ginhot-stop () "Stop the app." (interactive) (ginhot--execute "ginhot.stop"))
(defun ginhot-start () "Start the app." (interactive) (ginhot--execute "ginhot.start"))

(defun ginhot-explain ()
  "Show what saving the current file would do."
  (interactive)
  (let* ((to-uri (if (fboundp 'eglot-path-to-uri) #'eglot-path-to-uri #'eglot--path-to-uri))
         (x (ginhot--execute "ginhot.explain" (funcall to-uri (buffer-file-name)))))
    (message "ginhot: %s: %s" (plist-get x :decision) (plist-get x :reason))))

(provide 'ginhot)
;;; ginhot.el ends here
