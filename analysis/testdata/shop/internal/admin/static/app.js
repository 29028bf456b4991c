console.log("admin")
