/** Tailwind configuration: scans the templ views and the portal's script. */
import forms from "@tailwindcss/forms";

export default {
  content: ["./views/**/*.templ", "./web/**/*.go", "./static/js/app.js"],
  theme: {
    extend: {
      fontFamily: {
        sans: ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"],
      },
    },
  },
  plugins: [forms],
};
