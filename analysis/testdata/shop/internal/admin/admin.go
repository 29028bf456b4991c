package admin

import (
	"embed"

	"github.com/gin-gonic/gin"
)

//go:embed static
var static embed.FS

//go:embed assets/*.css
var assets embed.FS

//go:embed all:private
var private embed.FS

// Mount adds the admin routes.
func Mount(r *gin.Engine) { _, _, _ = static, assets, private }
